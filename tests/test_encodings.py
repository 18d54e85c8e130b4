"""A CSV file's encoding and delimiter: said with --encoding/--delimiter, refused when no
one encoding reads the file, shown with a sample of its accented names when guessed, and
a sniffer that lets nothing but a sentence escape whatever bytes it is given."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.errors import CoalitionError
from coalition.interchange.tabular import csv_delimiter, csv_encoding, open_table
from tests.conftest import fails, ok

UTF8_LINES = ["Émilie Müller,emilie@example.org", "Zoë Ångström,zoe@example.org"]
CP1252_LINES = ["René Köhler,rene@example.org", "Anaïs Lefèvre,anais@example.net"]


def mixed_file(path: Path) -> Path:
    """An export pasted together from two programs: lines 2 and 4 in UTF-8, 3 and 5 in cp1252."""
    data = b"name,email\n"
    for utf8, legacy in zip(UTF8_LINES, CP1252_LINES, strict=True):
        data += (utf8 + "\n").encode("utf-8") + (legacy + "\n").encode("cp1252")
    path.write_bytes(data)
    return path


def names(run: Any) -> list[str]:
    return sorted(
        c["display_name"] for c in json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    )


# --- mixed and undecodable lines ------------------------------------------------------------


def test_a_file_mixing_utf8_and_cp1252_lines_is_refused_with_its_lines(
    run: Any, tmp_path: Path
) -> None:
    path = mixed_file(tmp_path / "members.csv")
    said = fails(run("import", str(path)))
    assert "mixes two encodings" in said
    assert "lines 2 and 4 are UTF-8" in said and "lines 3 and 5 are not" in said
    # Both readings of each kind of line, so the user sees what went wrong.
    assert "“Émilie Müller”, which cp1252 would read as “Ã‰milie MÃ¼ller”" in said
    assert "“René Köhler” in cp1252, “Ren� K�hler” in UTF-8" in said
    assert "--encoding utf-8 or --encoding cp1252" in said
    assert names(run) == [], "nothing was imported"


def test_said_encoding_reads_a_mixed_file_and_names_the_lines_that_do_not_fit(
    run: Any, tmp_path: Path
) -> None:
    path = mixed_file(tmp_path / "members.csv")
    result = ok(run("import", str(path), "--encoding", "utf-8", "--dry-run"))
    assert "bytes that are not utf-8 read as � on lines 3 and 5" in result.stderr
    ok(run("import", str(path), "--encoding", "UTF8"))
    assert names(run) == [
        "Ana\ufffds Lef\ufffdvre",
        "Ren\ufffd K\ufffdhler",
        "Zoë Ångström",
        "Émilie Müller",
    ]


def test_said_cp1252_reads_every_line_as_cp1252(tmp_path: Path) -> None:
    table = open_table(mixed_file(tmp_path / "members.csv"), encoding="windows-1252")
    assert table.encoding == "cp1252" and table.undecodable_lines == 0
    assert [r.values[0] for r in table.rows()] == [
        "Ã‰milie MÃ¼ller",
        "René Köhler",
        "ZoÃ« Ã…ngstrÃ¶m",
        "Anaïs Lefèvre",
    ]


def test_a_cp1252_line_after_a_long_utf8_start_is_found_by_its_line_number(
    run: Any, tmp_path: Path
) -> None:
    # Past the 64 KiB the detection samples: the first 3,000 rows are UTF-8.
    path = tmp_path / "long.csv"
    rows = "".join(f"Émilie Müller {i},e{i}@example.org\n" for i in range(3000))
    path.write_bytes(
        ("name,email\n" + rows).encode("utf-8") + "René Köhler,rene@example.org\n".encode("cp1252")
    )
    said = fails(run("import", str(path)))
    assert "line 3002 is not (“René Köhler” in cp1252" in said
    assert names(run) == []


def test_bytes_the_guessed_encoding_cannot_read_are_refused_with_their_line(
    run: Any, tmp_path: Path
) -> None:
    # Western names throughout, then a byte cp1252 leaves undefined, beyond the sample.
    path = tmp_path / "members.csv"
    rows = "".join(f"René Köhler {i},r{i}@example.org\n" for i in range(3000))
    path.write_bytes(("name,email\n" + rows).encode("cp1252") + b"Jos\x81 Mart,j@example.org\n")
    said = fails(run("import", str(path)))
    assert "bytes that are not cp1252" in said and "line 3002" in said
    assert "(“Jos�” in cp1252, “Jos�” in UTF-8)" in said and "--encoding NAME" in said
    assert names(run) == []
    result = ok(run("import", str(path), "--encoding", "cp1252", "--dry-run"))
    assert "bytes that are not cp1252 read as � on line 3002" in result.stderr


def test_a_file_in_one_legacy_encoding_is_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes("Name;Ort\nRené;Köln\nAnaïs;Besançon\n".encode("cp1252"))
    table = open_table(path)
    assert table.encoding == "cp1252"
    assert [r.values for r in table.rows()] == [["René", "Köln"], ["Anaïs", "Besançon"]]


# --- Shift_JIS and other multi-byte encodings ------------------------------------------------

JAPANESE = [
    # Short files charset-normalizer alone takes for Korean (cp949).
    "name,email,organisation\n中村 陽菜,hina@example.org,Example NGO\n",
    "name,email,organisation\n阿部 陽菜,abe@example.org,みどりネット\n",
    "name,email\n清水 結衣,yui@example.org\n佐藤 太郎,taro@example.net\n",
    "name,email,organisation\n山田 花子,hanako@example.org,東京市民の会\n",
    "name,email,organisation\n橋本 あおい,aoi@example.org,みどりネット\n"
    "田中 一郎,ichiro@example.org,Example NGO\n森 さくら,sakura@example.org,環境フォーラム\n"
    "林 翔太,shota@example.net,市民の会\n石川 七海,nanami@example.net,Example NGO\n",
]


@pytest.mark.parametrize("text", JAPANESE)
def test_shift_jis_japanese_names_are_read_as_shift_jis(tmp_path: Path, text: str) -> None:
    path = tmp_path / "meibo.csv"
    path.write_bytes(text.encode("shift_jis"))
    table = open_table(path)
    assert table.encoding in ("cp932", "shift_jis")
    assert [r.values for r in table.rows()] == [line.split(",") for line in text.splitlines()[1:]]


def test_a_shift_jis_file_imports_its_japanese_names(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "meibo.csv"
    path.write_bytes(JAPANESE[3].encode("cp932"))
    result = ok(run("import", str(path)))
    assert "Read as cp932: “山田 花子”, “東京市民の会”" in result.stderr
    assert names(run) == ["山田 花子"]


def test_korean_and_chinese_files_keep_their_own_encodings(tmp_path: Path) -> None:
    korean = tmp_path / "korean.csv"
    korean.write_bytes(
        "이름,이메일\n김민준,minjun@example.org\n이서연,seoyeon@example.org\n"
        "박지훈,jihun@example.net\n".encode("cp949")
    )
    assert open_table(korean).encoding in ("cp949", "euc_kr")
    chinese = tmp_path / "chinese.csv"
    chinese.write_bytes(
        "姓名,电子邮件,组织\n王伟,wei@example.org,绿色和平\n李娜,na@example.org,公民联盟\n"
        "张敏,min@example.net,环境论坛\n".encode("gb18030")
    )
    assert open_table(chinese).encoding in ("gb18030", "gbk", "gb2312")


# --- --encoding and --delimiter ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["klingon-8", "rot13", "base64", ""])
def test_an_unknown_or_non_text_encoding_is_a_sentence(run: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / "members.csv"
    path.write_text("name,email\nAnn,ann@example.org\n", encoding="utf-8")
    said = fails(run("import", str(path), "--encoding", name))
    assert f"{name!r} is not a text encoding coalition knows" in said
    assert "utf-8" in said and "cp1252" in said


@pytest.mark.parametrize("given", [";;", "semi", "", '"', "\\n"])
def test_a_delimiter_of_more_than_one_character_is_a_sentence(
    run: Any, tmp_path: Path, given: str
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("name,email\nAnn,ann@example.org\n", encoding="utf-8")
    said = fails(run("import", str(path), "--delimiter", given))
    assert "--delimiter takes one character" in said


@pytest.mark.parametrize(
    ("given", "meant"),
    [("tab", "\t"), ("\\t", "\t"), ("\t", "\t"), ("TAB", "\t"), ("semicolon", ";"), (";", ";"),
     ("comma", ","), ("pipe", "|")],
)  # fmt: skip
def test_delimiter_names(given: str, meant: str) -> None:
    assert csv_delimiter(given) == meant


def test_encoding_names_are_pythons(tmp_path: Path) -> None:
    assert [csv_encoding(n) for n in ("latin-1", "UTF8", "Shift_JIS", "windows-1250")] == [
        "iso8859-1",
        "utf-8",
        "shift_jis",
        "cp1250",
    ]


def test_a_said_delimiter_is_used_as_said(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "members.txt"
    # Detection would take the commas inside the names for the delimiter.
    path.write_text(
        "name\temail\nDoe, Jane, Dr\tjane@example.org\nRoe, Rick, Prof\trick@example.org\n",
        encoding="utf-8",
    )
    table = open_table(path, delimiter="tab")
    assert table.delimiter == "\t" and table.headers == ["name", "email"]
    as_commas = open_table(path, delimiter="comma")
    assert as_commas.delimiter == ","
    read = [as_commas.headers, *(r.values for r in as_commas.rows())]
    assert ["Doe", "Jane", "Dr\tjane@example.org"] in read
    ok(run("import", str(path), "--delimiter", "tab"))
    assert len(names(run)) == 2


def test_a_said_encoding_skips_its_own_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "name,email\nZoë,zoe@example.org\n".encode())
    table = open_table(path, encoding="utf-8")
    assert table.headers == ["name", "email"]
    wide = tmp_path / "wide.csv"
    wide.write_bytes(b"\xff\xfe" + "name\temail\nZoë\tzoe@example.org\n".encode("utf-16-le"))
    assert open_table(wide, encoding="utf-16-le").headers == ["name", "email"]


def test_a_spreadsheet_takes_no_encoding(run: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "email"])
    book.active.append(["Ann", "ann@example.org"])
    book.save(tmp_path / "members.xlsx")
    said = fails(run("import", str(tmp_path / "members.xlsx"), "--encoding", "cp1252"))
    assert "leave out --encoding and --delimiter" in said


# --- the plan shows how accented names were read ---------------------------------------------


def test_the_plan_shows_the_encoding_with_accented_names_as_read(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes("Name;Email\nRené Köhler;rene@example.org\nAnn Lee;ann@example.org\n"
                     "Łukasz Żak;lukasz@example.net\n".encode("cp1250"))  # fmt: skip
    result = ok(run("import", str(path), "--dry-run"))
    assert "(encoding cp1250, delimiter ';')" in result.stderr
    assert "Read as cp1250: “René Köhler”, “Łukasz Żak”" in result.stderr
    # A wrong encoding, said or guessed, shows in the same line.
    wrong = ok(run("import", str(path), "--dry-run", "--encoding", "cp1252"))
    assert "Read as cp1252: “René Köhler”, “£ukasz ¯ak”" in wrong.stderr


@pytest.mark.tui
@pytest.mark.asyncio
async def test_the_apps_import_preview_shows_accented_names_as_read(
    db_path: Path, tmp_path: Path
) -> None:
    from coalition.tui.app import make_app
    from coalition.tui.screens.import_wizard import ImportWizard
    from tests.test_tui_import import flat, until
    from tests.tui_helpers import LARGE

    path = tmp_path / "members.csv"
    path.write_bytes("Name;Email\nRené Köhler;rene@example.org\n".encode("cp1252"))
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=LARGE) as pilot:
        wizard = ImportWizard(path)
        await app.push_screen(wizard)
        await until(pilot, lambda: wizard.step == "map", "the mapping")
        assert "Read as cp1252: “René Köhler”" in flat(app)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == "plan", "the plan")
        text = flat(app)
        assert "1 record — 1 new contact" in text
        assert "Read as cp1252: “René Köhler”. If these look wrong" in text


# --- the sniffer lets only sentences out -------------------------------------------------------

SNIFF = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODECS = ["utf-8", "cp1252", "cp1250", "cp1251", "shift_jis", "cp949", "gb18030", "utf-16",
          "utf-16-le", "latin-1", "koi8-r", "big5", "utf-32"]  # fmt: skip
CSV_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(",;\t|\"'\n\r =+-@")),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=300,
)


def _read_all(data: bytes, **said: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.csv"
        path.write_bytes(data)
        try:
            table = open_table(path, **said)
            for row in table.rows():
                assert all(isinstance(v, str) for v in row.values)
        except CoalitionError as err:
            assert str(err).strip(), "a refusal says something"


@SNIFF
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_table_or_a_sentence(data: bytes) -> None:
    _read_all(data)


@SNIFF
@given(CSV_TEXT, st.sampled_from(CODECS), st.sampled_from(["strict", "replace", "ignore"]))
def test_random_text_in_any_encoding_gives_a_table_or_a_sentence(
    text: str, codec: str, errors: str
) -> None:
    try:
        data = text.encode(codec, errors)
    except UnicodeEncodeError:
        data = text.encode(codec, "replace")
    _read_all(data)


@SNIFF
@given(
    st.binary(max_size=1000),
    st.sampled_from([*CODECS, "ascii", "cp037", "utf-7"]),
    st.sampled_from([",", ";", "tab", "|", " "]),
)
def test_random_bytes_read_as_said_give_a_table_or_a_sentence(
    data: bytes, codec: str, delimiter: str
) -> None:
    _read_all(data, encoding=codec, delimiter=delimiter)


@SNIFF
@given(st.lists(st.sampled_from(UTF8_LINES + CP1252_LINES + ["Ann,ann@example.org"]), max_size=30))
def test_lines_in_two_encodings_are_read_or_refused_never_garbled(lines: list[str]) -> None:
    """Whatever mix of UTF-8 and cp1252 lines: either every name reads right, or the file is
    refused as mixed."""
    data = b"name,email\n" + b"".join(
        (line + "\n").encode("utf-8" if line in UTF8_LINES else "cp1252") for line in lines
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.csv"
        path.write_bytes(data)
        try:
            table = open_table(path)
        except CoalitionError as err:
            assert "mixes two encodings" in str(err)
            return
        assert [",".join(r.values) for r in table.rows()] == lines
