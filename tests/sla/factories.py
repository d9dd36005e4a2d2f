"""factory_boy factories for the SLA app."""

import factory
from factory.django import DjangoModelFactory

from sla.models import ALL_DAY_EVERY_DAY, WORKDAYS_8_TO_18, BusinessCalendar, SLAPolicy


class BusinessCalendarFactory(DjangoModelFactory):
    """Monday to Friday, 08:00 to 18:00 in São Paulo, Brazilian national holidays."""

    class Meta:
        model = BusinessCalendar
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Calendário {n}")
    time_zone = "America/Sao_Paulo"
    weekly_hours = factory.LazyFunction(lambda: [list(day) for day in WORKDAYS_8_TO_18])
    holiday_country = "BR"

    class Params:
        always_open = factory.Trait(
            name="24 × 7",
            weekly_hours=factory.LazyFunction(lambda: [list(day) for day in ALL_DAY_EVERY_DAY]),
            holiday_country="",
        )


class SLAPolicyFactory(DjangoModelFactory):
    """Any ticket; 1 h first response, 2 h next response, 8 h resolution on a 24 × 7 clock,
    warning at 20 % of the target before the due time."""

    class Meta:
        model = SLAPolicy

    name = factory.Sequence(lambda n: f"Política {n}")
    position = factory.Sequence(lambda n: 100 + n)
    calendar = factory.SubFactory(BusinessCalendarFactory, always_open=True)
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480
    warn_before = 20
    warn_unit = SLAPolicy.WarnUnit.PERCENT
