"""Response schemas that dump plain fields directly.

marshmallow runs a chain of calls per field and value; on a list of a few hundred flags that
cost more than the query behind it. An AnswerSchema keeps marshmallow's declarations (the
one definition behind the OpenAPI document) and reads plain fields itself; any other field
(a Function, a custom field) still goes through marshmallow. Tests compare both dumps.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter

from marshmallow import Schema, fields, missing

from tracker.timeutil import isoformat_z


class UTCDateTime(fields.DateTime):
    """ISO 8601 UTC with a Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_z(value)


# Fields whose dumped value is the attribute's value as the database gives it.
AS_STORED = (fields.Integer, fields.String, fields.Boolean, fields.Dict)


def as_stored(value):
    return value


def plain_converter(field: fields.Field) -> Callable | None:
    """How to dump a field's value without marshmallow, or None to leave it to marshmallow."""
    kind = type(field)
    if kind in AS_STORED:
        return as_stored
    if kind is UTCDateTime:
        return isoformat_z
    if kind is fields.Date:
        return lambda value: value.isoformat()
    if kind is fields.List and isinstance(field.inner, fields.Nested):
        nested = field.inner.schema
        if isinstance(nested, AnswerSchema):
            return lambda value: nested.dump(value, many=True)
    return None


@dataclass(frozen=True)
class DumpPlan:
    """How one schema dumps an object: every plain attribute read in one call."""

    keys: tuple[str, ...]  # of the plain fields, in the order read_plain gives their values
    attributes: tuple[str, ...]  # the plain fields' attributes, in the same order
    read_plain: Callable  # object -> the plain attributes' values (a tuple if several)
    conversions: tuple[tuple[str, Callable], ...]  # plain fields whose value is converted
    slow: tuple  # (key, attribute, converter or None, field) dumped one by one
    every: tuple  # the same for every field, in the schema's order

    @classmethod
    def of(cls, schema: Schema) -> "DumpPlan":
        every = tuple(
            (field.data_key or name, field.attribute or name, plain_converter(field), field)
            for name, field in schema.dump_fields.items()
        )
        plain, slow = [], []
        for key, attribute, convert, field in every:
            if convert is None or "." in attribute:
                slow.append((key, attribute, convert, field))
            else:
                plain.append((key, attribute, convert))
        attributes = [attribute for _, attribute, _ in plain]
        read_plain = attrgetter(*attributes) if attributes else lambda obj: ()
        if len(attributes) == 1:
            read_one = read_plain
            read_plain = lambda obj: (read_one(obj),)  # noqa: E731 (one shape for every plan)
        conversions = tuple((key, convert) for key, _, convert in plain if convert is not as_stored)
        keys = tuple(key for key, _, _ in plain)
        return cls(keys, tuple(attributes), read_plain, conversions, tuple(slow), every)


class AnswerSchema(Schema):
    """A response schema whose plain fields are dumped without marshmallow's per-field calls."""

    def dump(self, obj, *, many: bool | None = None):
        many = self.many if many is None else many
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = DumpPlan.of(self)
        if many:
            return [self._dump_one(item, plan) for item in obj]
        return self._dump_one(obj, plan)

    def _dump_one(self, obj, plan: DumpPlan) -> dict:
        if isinstance(obj, Mapping):
            return self._dump_mapping(obj, plan)
        try:
            answer = dict(zip(plan.keys, plan.read_plain(obj), strict=True))
        except AttributeError:
            return self._dump_mapping(
                obj, plan
            )  # an attribute is missing: left out, as marshmallow does
        for key, convert in plan.conversions:
            value = answer[key]
            if value is not None:
                answer[key] = convert(value)
        for key, attribute, _, field in plan.slow:
            value = field.serialize(attribute, obj, accessor=self.get_attribute)
            if value is not missing:
                answer[key] = value
        return answer

    def _dump_mapping(self, obj, plan: DumpPlan) -> dict:
        """Dump field by field, leaving out what the object does not hold."""
        answer = {}
        is_mapping = isinstance(obj, Mapping)
        for key, attribute, convert, field in plan.every:
            if convert is None or "." in attribute:
                value = field.serialize(attribute, obj, accessor=self.get_attribute)
            else:
                value = (
                    obj.get(attribute, missing) if is_mapping else getattr(obj, attribute, missing)
                )
                if value is not None and value is not missing:
                    value = convert(value)
            if value is not missing:
                answer[key] = value
        return answer
