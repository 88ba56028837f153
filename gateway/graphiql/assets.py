"""GraphiQL's files, read once at start-up and served under URLs that change with their content.

The browser bundles come from npm at build time (``make assets``) into ``vendor/``; the page's
own script and style sit beside this module. A URL holds a digest of its file, so browsers and
proxies may keep it forever, and a new release never meets a stale copy.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

HERE = Path(__file__).parent
VENDOR_DIR = HERE / "vendor"

# In load order: React before ReactDOM before GraphiQL, the plugin after GraphiQL.
VENDOR_SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
)
VENDOR_STYLES = ("graphiql.min.css", "plugin-explorer.css")
OWN_SCRIPT = "setup.js"
OWN_STYLE = "page.css"

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    digest: str = field(init=False)
    integrity: str = field(init=False)

    def __post_init__(self) -> None:
        sha384 = hashlib.sha384(self.body).digest()
        object.__setattr__(self, "digest", hashlib.sha256(self.body).hexdigest()[:16])
        object.__setattr__(self, "integrity", "sha384-" + base64.b64encode(sha384).decode())

    @property
    def path(self) -> str:
        """Where the asset lives under the assets route: ``<digest>/<name>``."""
        return f"{self.digest}/{self.name}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[Path(self.name).suffix]

    @cached_property
    def gzipped(self) -> bytes:
        """Compressed on first use; GraphiQL's bundle shrinks from about 1 MB to 300 kB."""
        return gzip.compress(self.body, compresslevel=6, mtime=0)


@dataclass(frozen=True)
class Assets:
    scripts: tuple[Asset, ...]
    styles: tuple[Asset, ...]

    def find(self, digest: str, name: str) -> Asset | None:
        for asset in (*self.styles, *self.scripts):
            if asset.name == name and asset.digest == digest:
                return asset
        return None


class MissingAssets(Exception):
    """GraphiQL's bundles were not built into ``vendor_dir``."""

    def __init__(self, vendor_dir: Path, missing: list[str]) -> None:
        super().__init__(f"GraphiQL assets missing in {vendor_dir}: {', '.join(missing)}")
        self.vendor_dir = vendor_dir
        self.missing = missing


def load_assets(vendor_dir: Path = VENDOR_DIR) -> Assets:
    """Read every file the page needs, or raise :class:`MissingAssets` naming the absent ones."""
    missing = [
        name for name in (*VENDOR_SCRIPTS, *VENDOR_STYLES) if not (vendor_dir / name).is_file()
    ]
    if missing:
        raise MissingAssets(vendor_dir, missing)

    def read(directory: Path, name: str) -> Asset:
        return Asset(name, (directory / name).read_bytes())

    return Assets(
        scripts=(*(read(vendor_dir, name) for name in VENDOR_SCRIPTS), read(HERE, OWN_SCRIPT)),
        styles=(*(read(vendor_dir, name) for name in VENDOR_STYLES), read(HERE, OWN_STYLE)),
    )
