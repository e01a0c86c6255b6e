"""docs/params.md is generated from the params schemas: every key has a help text, the page is
fresh, and the schema bounds of issue 25 (seeds ≥ 0, a fine-tuning thaws before it ends)."""

import dataclasses

import pytest
from conftest import ROOT, real_params

from rnnlab.core.errors import ParamsError
from rnnlab.core.params import from_mapping
from rnnlab.report import params_doc
from rnnlab.tasks.classify.params import FinetuneParams, TrainParams
from rnnlab.tasks.fit_params import FitParams
from rnnlab.tasks.lm.params import EvaluateLMParams, FinetuneLMParams
from rnnlab.tasks.translate.params import FinetuneTranslationParams


def schema_fields():
    """(section.field, field) for every field of every schema, corpus schemas and bases too."""
    for title, cls in [*params_doc.schemas(), ("fit", FitParams)]:
        for base in cls.__mro__:
            if dataclasses.is_dataclass(base):
                for field in dataclasses.fields(base):
                    yield f"{title}.{field.name}", field


def test_every_field_of_every_schema_has_help():
    missing = [name for name, field in schema_fields()
               if not str(field.metadata.get("help", "")).strip()]
    assert not missing, f"fields without help=: {', '.join(missing)}"


def test_every_corpus_schema_is_documented():
    titles = [title for title, _ in params_doc.schemas()]
    assert [t for t in titles if t.startswith("prepare")] == [
        f"prepare (corpus: {name})" for name in params_doc.CORPORA]


def test_the_doc_is_fresh():
    assert (ROOT / params_doc.DOC).read_text(encoding="utf-8") == params_doc.render(), (
        f"{params_doc.DOC} is stale: run `make params-doc`")


def test_render_mentions_every_field():
    text = params_doc.render()
    absent = [name for name, field in schema_fields() if f"| `{field.name}` |" not in text]
    assert not absent, f"not in docs/params.md: {', '.join(absent)}"


def test_check_names_the_stale_file_and_write_makes_it_fresh(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(params_doc, "DOC", tmp_path / "docs" / "params.md")
    (tmp_path / "docs").mkdir()
    params_doc.DOC.write_text("# old\n", encoding="utf-8")
    assert params_doc.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(params_doc.DOC) in err and "make params-doc" in err
    assert params_doc.main([]) == 0 and params_doc.main(["--check"]) == 0
    assert params_doc.DOC.read_text(encoding="utf-8") == params_doc.render()


def real(section: str, name: str) -> dict:
    return dict(real_params()[section][name])


@pytest.mark.parametrize("cls, values, where", [
    (TrainParams, lambda: real("train", "r8"), "train.r8"),
    (EvaluateLMParams, lambda: real("evaluate_lm", "sonnets"), "evaluate_lm.sonnets"),
])
def test_a_negative_seed_is_refused_in_one_line(cls, values, where):
    with pytest.raises(ParamsError) as err:
        from_mapping(cls, values() | {"seed": -1}, f"params.yaml: {where}")
    assert str(err.value) == f"params.yaml: {where}.seed: expected a value ≥ 0, got -1"


def test_a_negative_corpus_seed_is_refused_in_one_line():
    imdb = params_doc.CORPORA["imdb"].params
    with pytest.raises(ParamsError) as err:
        from_mapping(imdb, real("prepare", "imdb") | {"seed": -3}, "params.yaml: prepare.imdb")
    assert str(err.value) == "params.yaml: prepare.imdb.seed: expected a value ≥ 0, got -3"


@pytest.mark.parametrize("cls, section, name", [
    (FinetuneParams, "shared", "reuters_finetune"),
    (FinetuneLMParams, "finetune_lm", "sonnets"),
    (FinetuneTranslationParams, "finetune_translation", "por_eng"),
])
@pytest.mark.parametrize("freeze", [3, 4])
def test_freeze_epochs_must_leave_epochs_to_train(cls, section, name, freeze):
    values = real(section, name) | {"epochs": 3}
    values.setdefault("pretrained", "x")
    values.setdefault("freeze_epochs", 0)
    from_mapping(cls, values | {"freeze_epochs": 2}, "here")  # fewer than epochs: fine
    with pytest.raises(ParamsError) as err:
        from_mapping(cls, values | {"freeze_epochs": freeze}, f"params.yaml: {section}.{name}")
    message = str(err.value)
    assert "\n" not in message
    assert message == (f"params.yaml: {section}.{name}.freeze_epochs: {freeze} ≥ epochs 3 would "
                       "leave the pretrained layers frozen for the whole training; expected "
                       "fewer than epochs")
