# Schemathesis hooks for the gateway fuzz: tag=value bodies (application/fix)
# are plain strings on the wire.
import schemathesis


@schemathesis.serializer("application/fix")
def fix_tag_value(ctx, value):
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")
