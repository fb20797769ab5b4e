"""The person's choice of how sessions reach their calendar."""

from django import forms

from learning.choices import CalendarDelivery


class DeliveryForm(forms.Form):
    delivery = forms.ChoiceField(
        label="How your sessions reach your calendar",
        choices=CalendarDelivery.choices,
        widget=forms.RadioSelect,
        help_text="Choose one: mail and feed together would show every event twice.",
        error_messages={"required": "Choose the feed, invitations by mail, or neither."},
    )
