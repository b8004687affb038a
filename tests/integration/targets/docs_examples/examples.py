# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write every YAML example of the README and the user docs out as files that ansible-playbook can run, in order.

A block is run as written: a list of plays is a playbook; a list of tasks runs in a play on localhost (the one setup the
docs name). A block whose first line is a comment naming a path (`# roles/team_keys/tasks/main.yml`) is a file that
later blocks of the same page use, and is written there; so is a block of any language after
`<!-- example: file PATH -->` (a CSV file, say, which has no comment syntax). A block after
`<!-- example: skip REASON -->` is not run; the reason is printed, and a skip without one is an error. Prints one line
per block: the page, the line, what it is.
"""

import json
import os
import re
import sys

import yaml

FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"^<!--\s*example:\s*skip\s*(.*?)\s*-->$")
FILE = re.compile(r"^<!--\s*example:\s*file\s+([\w./-]+)\s*-->$")
PATH_COMMENT = re.compile(r"^#\s*([\w./-]+\.ya?ml)\s*$")


def blocks(text):
    """Yield (line number, language, body, the last non-blank line before the fence) for each fenced block."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        start = index
        index += 1
        body = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        before = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
        yield start + 1, match.group(1), "\n".join(body) + "\n", before
        index += 1


def kind(body):
    """'playbook' for a list of plays, 'tasks' for a list of tasks."""
    data = yaml.safe_load(body)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("a YAML example must be a list of plays or of tasks")
    return "playbook" if all("hosts" in item or "import_playbook" in item for item in data) else "tasks"


def write(path, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(body)


def main(root, pages, out):
    manifest = []
    for page in pages:
        with open(os.path.join(root, page)) as handle:
            text = handle.read()
        workdir = os.path.join(out, re.sub(r"\W", "_", page))
        for line, language, body, before in blocks(text):
            where = "%s:%d" % (page, line)
            named_file = FILE.match(before)
            if named_file:
                write(os.path.join(workdir, named_file.group(1)), body)
                print("%s file" % where)
                continue
            if language not in ("yaml", "yml"):
                continue
            skip = SKIP.match(before)
            if skip:
                if not skip.group(1):
                    raise SystemExit("%s: a skipped example must say why" % where)
                print("%s skipped: %s" % (where, skip.group(1)))
                continue
            first = body.splitlines()[0] if body.strip() else ""
            named = PATH_COMMENT.match(first)
            path = os.path.join(workdir, named.group(1) if named else "example_%d.yml" % line)
            what = "file" if named else kind(body)
            if what == "tasks":
                body = yaml.safe_dump(
                    [
                        {
                            "name": "Example at %s" % where,
                            "hosts": "localhost",
                            "gather_facts": False,
                            "tasks": yaml.safe_load(body),
                        }
                    ],
                    sort_keys=False,
                )
            write(path, body)
            print("%s %s" % (where, what))
            if what != "file":
                manifest.append({"where": where, "dir": workdir, "playbook": path})
    with open(os.path.join(out, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[3:], sys.argv[2])
