"""Response schemas that dump plain fields directly.

marshmallow runs a chain of calls per field and value; on a list of a few hundred flags that
cost more than the query behind it. An AnswerSchema keeps marshmallow's declarations (the
one definition behind the OpenAPI document) and reads plain fields itself; any other field
(a Function, a custom field) still goes through marshmallow. Tests compare both dumps.
"""

from collections.abc import Callable, Mapping

from marshmallow import Schema, fields, missing

from tracker.timeutil import isoformat_z


class UTCDateTime(fields.DateTime):
    """ISO 8601 UTC with a Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat_z(value)


# Fields whose dumped value is the attribute's value as the database gives it.
AS_STORED = (fields.Integer, fields.String, fields.Boolean, fields.Dict)


def plain_converter(field: fields.Field) -> Callable | None:
    """How to dump a field's value without marshmallow, or None to leave it to marshmallow."""
    kind = type(field)
    if kind in AS_STORED:
        return lambda value: value
    if kind is UTCDateTime:
        return isoformat_z
    if kind is fields.Date:
        return lambda value: value.isoformat()
    if kind is fields.List and isinstance(field.inner, fields.Nested):
        nested = field.inner.schema
        if isinstance(nested, AnswerSchema):
            return lambda value: nested.dump(value, many=True)
    return None


class AnswerSchema(Schema):
    """A response schema whose plain fields are dumped without marshmallow's per-field calls."""

    def dump(self, obj, *, many: bool | None = None):
        many = self.many if many is None else many
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = [
                (field.data_key or name, field.attribute or name, plain_converter(field), field)
                for name, field in self.dump_fields.items()
            ]
        if many:
            return [self._dump_one(item, plan) for item in obj]
        return self._dump_one(obj, plan)

    def _dump_one(self, obj, plan) -> dict:
        answer = {}
        is_mapping = isinstance(obj, Mapping)
        for key, attribute, convert, field in plan:
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
