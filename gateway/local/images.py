"""The ECR images Autopilot's inference containers run, per region.

The registries are SageMaker's first-party images (sklearn/xgboost share them), the built-in
algorithms' and the Deep Learning Containers', from the SageMaker Python SDK's
image_uri_config, so candidates name the images a real job in that region would.
"""

from __future__ import annotations

from typing import Final

_FALLBACK_REGION: Final = "us-east-1"
"""Regions the tables do not know use this region's registry."""

_FIRST_PARTY_REGISTRY: Final[dict[str, str]] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ca-central-1": "341280168497",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}
_DLC_REGISTRY_EXCEPTIONS: Final[dict[str, str]] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
    "us-gov-west-1": "442386744353",
}
_DLC_REGISTRY: Final = "763104351884"
_BUILTIN_ALGORITHM_REGISTRY: Final[dict[str, str]] = {  # linear-learner and friends
    "ap-east-1": "286214385809",
    "ap-northeast-1": "351501993468",
    "ap-northeast-2": "835164637446",
    "ap-south-1": "991648021394",
    "ap-southeast-1": "475088953585",
    "ap-southeast-2": "712309505854",
    "ca-central-1": "469771592824",
    "cn-north-1": "390948362332",
    "cn-northwest-1": "387376663083",
    "eu-central-1": "664544806723",
    "eu-north-1": "669576153137",
    "eu-west-1": "438346466558",
    "eu-west-2": "644912444149",
    "eu-west-3": "749696950732",
    "me-south-1": "249704162688",
    "sa-east-1": "855470959533",
    "us-east-1": "382416733822",
    "us-east-2": "404615174143",
    "us-gov-west-1": "226302683700",
    "us-west-1": "632365934929",
    "us-west-2": "174872318107",
}


def _ecr(registry: str, region: str, repository: str) -> str:
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{registry}.dkr.ecr.{region}.{domain}/{repository}"


def first_party_image(region: str, repository: str) -> str:
    """An image of SageMaker's own frameworks (sklearn, xgboost)."""
    registry = _FIRST_PARTY_REGISTRY.get(region, _FIRST_PARTY_REGISTRY[_FALLBACK_REGION])
    return _ecr(registry, region, repository)


def builtin_algorithm_image(region: str, repository: str) -> str:
    """An image of a SageMaker built-in algorithm (linear-learner)."""
    registry = _BUILTIN_ALGORITHM_REGISTRY.get(
        region, _BUILTIN_ALGORITHM_REGISTRY[_FALLBACK_REGION]
    )
    return _ecr(registry, region, repository)


def dlc_image(region: str, repository: str) -> str:
    """A Deep Learning Containers image (AutoGluon, PyTorch, Hugging Face)."""
    return _ecr(_DLC_REGISTRY_EXCEPTIONS.get(region, _DLC_REGISTRY), region, repository)
