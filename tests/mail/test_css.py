"""css and css_writer: CSS is read like a browser reads it and written back unchanged."""

from __future__ import annotations

import pytest

from teaminbox.mail.css import Block, Function, Token, parse_component_values, tokenize
from teaminbox.mail.css_writer import UnsafeCss, escape_ident, serialize


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("url(http://x/a)", [Token("url", "http://x/a")]),
        ("URL(  http://x/a  )", [Token("url", "http://x/a")]),
        ("u\\rl(http://x/a)", [Token("url", "http://x/a")]),
        ("\\75 \\72 \\6c (http://x/a)", [Token("url", "http://x/a")]),
        ("url(a\\)b)", [Token("url", "a)b")]),
        ("url(http://x/a", [Token("url", "http://x/a")]),
        ("url(a b)", [Token("bad-url")]),
        ("url(a\"b)", [Token("bad-url")]),
        ("url('a')", [Token("function", "url"), Token("string", "a"), Token(")")]),
        ("url( 'a')", [Token("function", "url"), Token("whitespace", " "), Token("string", "a"), Token(")")]),
        ("ur/**/l(x)", [Token("ident", "ur"), Token("function", "l"), Token("ident", "x"), Token(")")]),
        ("e\\78 pression(", [Token("function", "expression")]),
        ('"a\\"b"', [Token("string", 'a"b')]),
        ('"a\\\nb"', [Token("string", "ab")]),
        ('"a\nb"', [Token("bad-string"), Token("whitespace", " "), Token("ident", "b"), Token("string", "")]),
        ("'open", [Token("string", "open")]),
        ("#fff", [Token("hash", "fff")]),
        ("#", [Token("delim", "#")]),
        ("1.5em", [Token("dimension", "1.5", "em")]),
        ("-.5e+3%", [Token("percentage", "-.5e+3")]),
        ("1\\65 3", [Token("dimension", "1", "e3")]),
        ("@import", [Token("at-keyword", "import")]),
        ("<!-- -->", [Token("CDO"), Token("whitespace", " "), Token("CDC")]),
        ("a /* comment */ b", [Token("ident", "a"), Token("whitespace", " "), Token("whitespace", " "), Token("ident", "b")]),
        ("/* never closed", []),
        ("\\", [Token("ident", "\ufffd")]),
        ("\\\n", [Token("delim", "\\"), Token("whitespace", " ")]),
        ("\\0 x", [Token("ident", "\ufffdx")]),
        ("\\110000 x", [Token("ident", "\ufffdx")]),
        ("a\x00", [Token("ident", "a\ufffd")]),
        ("--x", [Token("ident", "--x")]),
        ("-->", [Token("CDC")]),
        ("-", [Token("delim", "-")]),
        ("<", [Token("delim", "<")]),
    ],
)  # fmt: skip
def test_tokens_are_read_as_css_syntax_level_3_says(css: str, expected: list[Token]) -> None:
    assert tokenize(css) == expected


def test_blocks_and_functions_nest_and_close_at_the_end() -> None:
    assert parse_component_values("a{b:rgb(1,(2)} ]") == [
        Token("ident", "a"),
        Block(
            "{",
            (
                Token("ident", "b"),
                Token(":"),
                Function(
                    "rgb",
                    (
                        Token("number", "1"),
                        Token(","),
                        Block("(", (Token("number", "2"),)),
                        Token("}"),
                        Token("whitespace", " "),
                        Token("]"),
                    ),
                ),
            ),
        ),
    ]


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    nodes = parse_component_values("(" * 100_000)
    with pytest.raises(UnsafeCss):
        serialize(nodes)


@pytest.mark.parametrize(
    ("css", "written"),
    [
        ("a{color:red}", "a{color:red}"),
        ("a.b > c ~ d", "a.b > c ~ d"),
        ("a/**/b", "a/**/b"),
        ("div/**/#x", "div#x"),
        ("a/**/.b", "a.b"),
        ("1/**/px", "1/**/px"),
        ("1/**/%", "1/**/%"),
        ("u\\rl(x)", 'url("x")'),
        ("url( 'x' )", 'url( "x" )'),
        ("'it\\'s'", '"it\'s"'),
        ('"<\\/style>"', '"\\3c /style\\3e "'),
        ("\\3c x", "\\3c x"),
        ("\\31 23", "\\31 23"),
        ("1\\65 3", "1\\65 3"),
        ("1em", "1em"),
        ("#\\31 23", "#123"),
        ("--custom", "--custom"),
        ("\\-", "\\2d "),
        ("a/**/(b)", "a/**/(b)"),
        ("a /**/ /**/ b", "a /**/ /**/ b"),
        ("//**/*", "//**/*"),
        ("color:red!important", "color:red!important"),
    ],
)
def test_serialize_writes_text_that_reads_back_as_the_same_tokens(css: str, written: str) -> None:
    text = serialize(parse_component_values(css))
    assert text == written
    assert serialize(parse_component_values(text)) == text


@pytest.mark.parametrize(
    "css", ["url(a b)", '"a\nb"', "<!--", "-->", "a<b", "\\\n", ")", "]", "}", "a\x01"]
)
def test_serialize_refuses_what_it_cannot_write_unambiguously(css: str) -> None:
    with pytest.raises(UnsafeCss):
        serialize(parse_component_values(css))


@pytest.mark.parametrize(
    ("name", "escaped"),
    [("color", "color"), ("-webkit-x", "-webkit-x"), ("1a", "\\31 a"), ("-1", "-\\31 "),
     ("a b", "a\\20 b"), ("é", "é"), ("a<", "a\\3c ")],
)  # fmt: skip
def test_escape_ident_uses_hex_escapes_for_anything_unusual(name: str, escaped: str) -> None:
    assert escape_ident(name) == escaped
    assert tokenize(escaped) == [Token("ident", name)]
