"""How numbers, money and dates read on screen, in exports and in letters.

Django's own French formats, with the narrow no-break space that French typography (and
CLDR) puts between thousands: « 900 000,00 € », « 29/08/2025 ». Every layer formats
through ``django.utils.formats`` (``number_format``, ``date_format``), which reads this
module, so a figure reads the same on every page, chart, PDF and message.
"""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
