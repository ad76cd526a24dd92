"""Synthetic names and phone numbers that cannot be mistaken for real people.

Disputants are written "张某某" (the way Chinese court documents anonymise
parties); home-service recipients get a surname plus a given name drawn from
short lists; mobile numbers use the 1380000xxxx block, landlines Xianyang's 029
area code with a fixed demo prefix.
"""

from __future__ import annotations

import numpy as np

SURNAMES = tuple(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌宁燕凤云秦渭")


def person_name(rng: np.random.Generator) -> str:
    """A synthetic surname + one- or two-character given name."""
    n = 1 + int(rng.random() < 0.6)
    return str(rng.choice(SURNAMES)) + "".join(str(c) for c in rng.choice(GIVEN, size=n))


def anonymous_party(rng: np.random.Generator) -> str:
    """A party to a dispute as "张某某" (surname only)."""
    return f"{rng.choice(SURNAMES)}某某"


def mobile(rng: np.random.Generator) -> str:
    """A synthetic mobile number in the 1380000xxxx block."""
    return f"1380000{int(rng.integers(0, 10000)):04d}"


def landline(rng: np.random.Generator, prefix: str = "3321") -> str:
    """A synthetic unit landline, Xianyang area code 029."""
    return f"029-{prefix}{int(rng.integers(0, 10000)):04d}"
