# Reference renderer for the ChatTemplate tests: Jinja2 configured as transformers' apply_chat_template
# (trim_blocks, lstrip_blocks, raise_exception). Reads {"template", "cases": [{"vars": {...}}]} as JSON on
# stdin and prints the list of rendered strings (or {"error": msg}) as JSON.
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise ValueError(message)


def main():
    job = json.load(sys.stdin)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    template = env.from_string(job["template"])
    out = []
    for case in job["cases"]:
        try:
            out.append(template.render(**case["vars"]))
        except Exception as e:  # the test compares the failure, not the type
            out.append({"error": str(e)})
    json.dump(out, sys.stdout)


main()
