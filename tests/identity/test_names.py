from hocvu.identity.names import name_sort_key


def test_names_sort_by_given_name_in_the_vietnamese_alphabet() -> None:
    names = [
        "Vũ Đức Thắng",
        "Đặng Thị Mai",
        "Nguyễn Văn An",
        "Trần Thị Ánh",
        "Lê Văn Dũng",
        "Phạm Thị Duyên",
        "Hoàng Văn Đức",
        "Bùi Thị Ân",
    ]
    ordered = sorted(names, key=name_sort_key)
    assert ordered == [
        "Nguyễn Văn An",
        "Trần Thị Ánh",
        "Bùi Thị Ân",
        "Lê Văn Dũng",
        "Phạm Thị Duyên",
        "Hoàng Văn Đức",
        "Đặng Thị Mai",
        "Vũ Đức Thắng",
    ]
