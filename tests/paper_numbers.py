"""Reference figures shared by the tests (and the backend checks' subprocess)."""

# docs/paper_numbers.md (trainable parameters: no conv bias, BN gamma/beta, no moving stats).
PARAMS = [
    ("resnet18", {}, 11_689_512),
    ("resnet34", {}, 21_797_672),
    ("resnet50", {}, 25_557_032),
    ("resnet101", {}, 44_549_160),
    ("resnet152", {}, 60_192_808),
    ("resnet34", {"shortcut": "A"}, 21_623_848),
    ("resnet34", {"shortcut": "C"}, 22_716_840),
    ("plain18", {}, 11_515_688),
    ("plain34", {}, 21_623_848),
    ("resnet20", {}, 269_722),
    ("resnet32", {}, 464_154),
    ("resnet44", {}, 658_586),
    ("resnet56", {}, 853_018),
    ("resnet110", {}, 1_727_962),
    ("resnet20", {"shortcut": "B"}, 272_474),
]
