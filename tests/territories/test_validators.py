import pytest
from django import forms
from django.core.exceptions import ValidationError

from territories.models import Establishment, LegalEntity
from territories.validators import (
    is_valid_finess,
    is_valid_siren,
    is_valid_siret,
    luhn_is_valid,
    validate_finess,
    validate_siren,
    validate_siret,
)


class TestFiness:
    @pytest.mark.parametrize("number", ["010000024", "010780054", "970302022", "590799730"])
    def test_accepts_the_real_numbers_of_the_domain_guide(self, number):
        assert is_valid_finess(number)

    def test_accepts_the_display_form_with_spaces(self):
        assert is_valid_finess("01 000 002 4")

    @pytest.mark.parametrize("number", ["2A0000012", "2B0000019", "2a0000013"])
    def test_accepts_corsican_numbers_without_a_key(self, number):
        assert is_valid_finess(number)

    @pytest.mark.parametrize(
        "number", ["010000025", "01000002", "0100000244", "", None, "2A00000X1", "ABCDEFGHI"]
    )
    def test_refuses_a_wrong_key_or_length(self, number):
        assert not is_valid_finess(number)


class TestSirenAndSiret:
    def test_accepts_a_valid_siren(self):
        assert is_valid_siren("260100045")
        assert is_valid_siren("356000000")

    @pytest.mark.parametrize("number", ["260100046", "26010004", "2601000450", "ABCDEFGHI"])
    def test_refuses_an_invalid_siren(self, number):
        assert not is_valid_siren(number)

    @pytest.mark.parametrize("number", ["26010004500012", "35600000000048", "260 100 045 00012"])
    def test_accepts_the_valid_sirets_of_the_domain_guide(self, number):
        assert is_valid_siret(number)

    def test_accepts_a_la_poste_siret_valid_only_by_its_digit_sum(self):
        number = "35600000000001"  # digit sum 15, Luhn fails
        assert sum(int(digit) for digit in number) % 5 == 0
        assert not luhn_is_valid(number)
        assert is_valid_siret(number)

    @pytest.mark.parametrize(
        "number",
        [
            "26010004500013",  # wrong key
            "35600000000049",  # La Poste, digit sum 26
            "2601000450001",  # 13 digits
            "12345678900000",  # Luhn over 14 fails
            "12345678900007",  # Luhn over 14 passes, not over its SIREN
        ],
    )
    def test_refuses_invalid_sirets(self, number):
        assert not is_valid_siret(number)


class TestFrenchMessages:
    @pytest.mark.parametrize(
        ("validator", "value", "message"),
        [
            (validate_finess, "010000025", "n'est pas un numéro FINESS valide"),
            (validate_siren, "260100046", "n'est pas un numéro SIREN valide"),
            (validate_siret, "26010004500013", "n'est pas un numéro SIRET valide"),
        ],
    )
    def test_validators_say_what_is_wrong_in_french(self, validator, value, message):
        with pytest.raises(ValidationError) as error:
            validator(value)
        assert message in error.value.messages[0]
        assert value in error.value.messages[0]

    def test_model_validation_gives_the_french_messages(self):
        establishment = Establishment(finess="010000025", siret="26010004500013", name="CH")
        with pytest.raises(ValidationError) as error:
            establishment.full_clean(validate_unique=False, validate_constraints=False)
        assert "n'est pas un numéro FINESS valide" in error.value.message_dict["finess"][0]
        assert "n'est pas un numéro SIRET valide" in error.value.message_dict["siret"][0]

    def test_model_form_gives_the_french_messages(self):
        form_class = forms.modelform_factory(LegalEntity, fields=["finess", "siren", "name"])
        form = form_class(data={"finess": "010000025", "siren": "260100046", "name": "CH"})
        assert not form.is_valid()
        assert "n'est pas un numéro FINESS valide" in form.errors["finess"][0]
        assert "n'est pas un numéro SIREN valide" in form.errors["siren"][0]
