"""Every message a roster import can report, by code (English msgids, translated on display).

Problems are stored as a code and parameters, not as text, so the same problem reads in
Vietnamese on the page, in English for an English-speaking manager, and in the command's
report. No message ever carries a citizen ID number.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_noop as _

MESSAGES: dict[str, str] = {
    # The file as a whole (row 0 or 1).
    "file.empty": _("The file is empty."),
    "file.too_large": _("The file is larger than %(limit)s MB. Split it into smaller files."),
    "file.not_spreadsheet": _(
        "This file is not a spreadsheet. Upload an .xlsx workbook or a .csv file saved from Excel."
    ),
    "file.xls": _(
        "This is an old Excel (.xls) file. Open it in Excel and save it as "
        "“Excel Workbook (.xlsx)” or “CSV UTF-8”."
    ),
    "file.bad_xlsx": _("The .xlsx file is damaged or is not an Excel workbook."),
    "file.bomb": _("The .xlsx file unpacks to more than %(limit)s MB; it is refused."),
    "file.encoding": _(
        "The text encoding of the file cannot be recognised. In Excel, save it as “CSV UTF-8”."
    ),
    "file.too_many_rows": _("The file has more than %(limit)s rows. Split it into smaller files."),
    "file.too_many_columns": _("The file has more than %(limit)s columns."),
    "file.no_header": _(
        "No header row was found: the first row must name the columns as in the template."
    ),
    "file.missing_column": _("The column “%(column)s” is missing."),
    "file.duplicate_column": _("The columns “%(first)s” and “%(second)s” mean the same thing."),
    "file.unknown_column": _("The column “%(column)s” is not used and will be ignored."),
    "file.no_rows": _("The file has no data rows."),
    "file.already_imported": _(
        "This file was already imported on %(date)s. People already stored are not created again."
    ),
    # One cell.
    "cell.formula": _("This cell holds a formula. Type the value itself."),
    "cell.too_long": _("The value is too long (at most %(limit)s characters)."),
    "cell.injection": _(
        "The value begins with “%(char)s”, which spreadsheet programs run as a formula."
    ),
    "cell.control": _("The value contains invisible control characters."),
    "required": _("This value is required."),
    "normalised": _("Will be stored as “%(value)s”."),
    "name.digits": _("A name cannot contain digits."),
    "name.chars": _("A name may contain only letters, spaces, apostrophes, dots and hyphens."),
    "date.invalid": _("Not a date. Write the day first, for example 31/12/1980."),
    "date.short_year": _("Write the year with four digits, for example 31/12/1980."),
    "date.range": _(
        "This date of birth gives an age of %(age)s; it must be from %(min)s to %(max)s."
    ),
    "gender.invalid": _("Write Nam or Nữ."),
    "cccd.format": _("A citizen ID number has exactly 12 digits."),
    "cccd.padded": _("Excel dropped the leading zeros of this number; they were put back."),
    "cccd.province": _("The first three digits are not the code of a province."),
    "cccd.gender": _(
        "The fourth digit of the citizen ID means %(id_gender)s, but the gender column says "
        "%(gender)s."
    ),
    "cccd.year": _(
        "Digits 4 to 6 of the citizen ID give the year of birth %(id_year)s, but the date of "
        "birth is in %(year)s."
    ),
    "phone.invalid": _(
        "Not a Vietnamese mobile number (10 digits beginning with 03, 05, 07, 08 or 09)."
    ),
    "email.invalid": _("Not a valid e-mail address."),
    "unit.unknown": _("The unit code “%(code)s” does not exist or is not one of your units."),
    "unit.default": _("No unit code: the person is added to %(code)s."),
    "role.unknown": _("Unknown role. Use a role code or title from the template’s list."),
    "example.skipped": _("This is the template’s example row; it is skipped."),
    # Possible duplicates.
    "dup.file_id": _("The same citizen ID number as row %(row)s. This row is skipped."),
    "dup.file_name": _("The same name and date of birth as row %(row)s."),
    "dup.db_id": _("Already stored as %(name)s (%(unit)s): the stored record will be updated."),
    "dup.db_id_outside": _(
        "A person with this citizen ID number is already registered in a unit you do not "
        "manage. This row is skipped; ask an administrator to move the person."
    ),
    "dup.db_name": _(
        "A person with the same name and date of birth is already stored: %(name)s (%(unit)s)."
    ),
    "dup.db_name_outside": _(
        "A person with the same name and date of birth is already registered in a unit you do "
        "not manage."
    ),
}

# Words placed into messages, translated with them.
WORDS: dict[str, Promise] = {
    "male": pgettext_lazy("roster", "male"),
    "female": pgettext_lazy("roster", "female"),
    "other": pgettext_lazy("roster", "other"),
}


def render(code: str, params: dict[str, Any]) -> str:
    """The message for ``code`` in the active language."""
    text = gettext(MESSAGES[code])
    values = {
        key: str(WORDS[value]) if isinstance(value, str) and value in WORDS else value
        for key, value in params.items()
    }
    try:
        return text % values if values else text
    except (KeyError, TypeError, ValueError):
        return text
