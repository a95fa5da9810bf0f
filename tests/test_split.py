"""The held-back third of a corpus is chosen by a hash of the NCT id alone."""

from pathlib import Path

from criteria_parser.lct.split import in_part, is_held_back, select, trial_id


def test_the_nct_id_of_a_file_name_decides_its_side():
    assert trial_id("batch3/NCT00050349_inc.txt") == "NCT00050349"
    assert is_held_back("NCT00050349_inc.txt") == is_held_back("NCT00050349_exc.ann") == is_held_back("nct00050349")


def test_about_a_third_is_held_back_and_the_parts_partition_the_corpus():
    names = [f"NCT{n:08d}.txt" for n in range(3000)]
    held = [n for n in names if is_held_back(n)]
    assert 900 < len(held) < 1100
    tune = list(select(map(Path, names), "tune"))
    assert len(tune) + len(held) == len(names)
    assert not set(map(str, tune)) & set(held)
    assert all(in_part(n, "all") for n in names)


def test_a_name_without_an_id_is_split_by_its_stem():
    assert is_held_back("listing-a.txt") == is_held_back("other/listing-a.ann")
