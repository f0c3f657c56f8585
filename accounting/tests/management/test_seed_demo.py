import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounting import models

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_plans_and_staff_once(settings, capsys):
    settings.STAFF_EMAIL = "admin@example.com"
    settings.STAFF_PASSWORD = "secret-pw"

    call_command("seed_demo")
    first = capsys.readouterr().out
    plan = models.Plan.objects.get(name="Save 10%")
    plan.description = "edited"
    plan.save()
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert "accounting admin: admin@example.com / secret-pw" in first
    assert "plans: 4 created" in first
    assert "plans: 0 created" in second
    plans = {
        p.name: (p.kind, p.value, p.currency) for p in models.Plan.objects.all()
    }
    assert plans == {
        "Save 10%": ("percentage", "10.00", "USD"),
        "Save 25%": ("percentage", "25.00", "USD"),
        "Flat $5 per credit": ("flat_amount", "5.00", "USD"),
        "Flat \u20ac2 per credit": ("flat_amount", "2.00", "EUR"),
    }
    assert models.Plan.objects.get(name="Save 10%").description == "edited"
    user = get_user_model().objects.get(username="admin@example.com")
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password("secret-pw")


def test_seed_demo_without_staff_settings(settings, capsys):
    settings.STAFF_EMAIL = ""
    settings.STAFF_PASSWORD = ""

    call_command("seed_demo")

    assert "accounting admin" not in capsys.readouterr().out
    assert not get_user_model().objects.exists()
    assert models.Plan.objects.count() == 4
