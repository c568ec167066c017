"""expect_error shows a demonstrated failure without stopping the notebook; print_table aligns."""

import pytest

from mlp_from_scratch.notebook import IN_BROWSER, expect_error, format_table


def test_expect_error_prints_the_type_and_message_and_swallows_it(capsys):
    with expect_error(ValueError, match="shape") as caught:
        raise ValueError("bad shape (2, 3)")
    assert capsys.readouterr().out == "ValueError: bad shape (2, 3)\n"
    assert isinstance(caught.error, ValueError)


def test_expect_error_fails_loudly_when_nothing_is_raised():
    with pytest.raises(AssertionError, match="expected ValueError, but nothing was raised"):
        with expect_error(ValueError):
            pass


def test_expect_error_fails_when_the_message_does_not_match():
    with pytest.raises(AssertionError, match="matching 'shape'"):
        with expect_error(ValueError, match="shape"):
            raise ValueError("something else")


def test_an_unexpected_error_type_propagates():
    with pytest.raises(KeyError):
        with expect_error(ValueError, TypeError):
            raise KeyError("k")


def test_expect_error_accepts_several_types_and_subclasses(capsys):
    with expect_error(LookupError, TypeError):
        raise KeyError("k")
    assert capsys.readouterr().out.startswith("KeyError:")


def test_expect_error_refuses_a_non_exception_argument():
    with pytest.raises(TypeError, match="exception classes"):
        expect_error("ValueError")


def test_native_python_is_not_the_browser():
    assert IN_BROWSER is False


def test_format_table_aligns_text_left_and_numbers_right():
    table = format_table([["W", 3, 0.123456], ["bias", 12, 1.0]], ["name", "n", "value"])
    lines = table.splitlines()
    assert lines[0] == "name   n   value"
    assert lines[2] == "W      3  0.1235"
    assert lines[3] == "bias  12       1"


def test_format_table_refuses_a_ragged_row():
    with pytest.raises(ValueError, match="row 0 has 2 cells but there are 3 headers"):
        format_table([[1, 2]], ["a", "b", "c"])
