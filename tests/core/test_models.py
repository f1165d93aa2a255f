"""Models document themselves, in a way Tortoise's SQLite migrations can carry."""

import inspect

import models


def all_models() -> list[type]:
    from tortoise.models import Model

    return [obj for _, obj in inspect.getmembers(models) if inspect.isclass(obj) and issubclass(obj, Model)]


def test_every_model_has_a_docstring_and_an_explicit_table() -> None:
    for model in all_models():
        assert (model.__doc__ or "").strip(), model.__name__
        assert model.Meta.table, model.__name__  # type: ignore[attr-defined]


def test_no_description_holds_a_semicolon() -> None:
    # Tortoise's SQLite schema editor splits DDL on ';' and would cut a comment in two.
    for model in all_models():
        first_paragraph = (model.__doc__ or "").strip().split("\n\n")[0]  # what becomes the table comment
        texts = [first_paragraph] + [f.description or "" for f in model._meta.fields_map.values()]
        assert not [t for t in texts if ";" in t], model.__name__
