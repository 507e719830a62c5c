"""The generated TypeScript client (openapi-typescript + openapi-fetch) through a whole journey.

tsc type-checks clients/typescript/journey.test.ts against the types generated from the committed
spec (a call the spec does not allow fails the build), then Node's test runner runs it against a
live server.
"""

import os
import re
import subprocess

from tests.clients.conftest import need_node

STEPS = 6  # the journey's subtests (clients/typescript/journey.test.ts)


def test_a_partner_journey_with_the_generated_typescript_client(generated_clients, live_server,
                                                                partner_key):
    need_node()
    folder = generated_clients / "typescript"
    build = subprocess.run(["npm", "run", "--silent", "build"], cwd=folder, capture_output=True,
                           text=True, timeout=300)
    assert build.returncode == 0, f"tsc:\n{build.stdout}{build.stderr}"
    run = subprocess.run(["node", "--test", "--test-reporter=tap", "build/journey.test.js"], cwd=folder,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "STUCKFUNDS_URL": live_server.url,
                              "STUCKFUNDS_API_KEY": partner_key})
    report = run.stdout + run.stderr
    print(report)
    assert run.returncode == 0, f"node --test:\n{report}\nserver:\n{live_server.output()[-4000:]}"
    # Every step ran and passed: a journey that stopped early or skipped a step is not a pass.
    passed = re.findall(r"^\s*ok \d+ - (.+)$", run.stdout, re.MULTILINE)
    assert len(passed) == STEPS + 1, report
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE), report
