"""How results are shown: the diff, the comparison table and the charts."""

EN: dict[str, str] = {
}

RU: dict[str, str] = {
}
