"""Messages the services write in English and a page shows in its reader's language."""


class Message(str):
    """An English message that keeps its msgid and values, so a page shows it translated.

    The services answer in English (the API's JSON says exactly this text); a page passes it
    through tracker.clinic_words.translated, in the reader's language.
    """

    msgid: str
    values: dict

    def __new__(cls, msgid: str, **values):
        message = super().__new__(cls, msgid % values if values else msgid)
        message.msgid = msgid
        message.values = values
        return message


def N_(msgid: str, **values) -> Message:  # noqa: N802  (a name pybabel extracts)
    """Mark a service's message for translation where it is shown."""
    return Message(msgid, **values)
