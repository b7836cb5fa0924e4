"""The supervisor's witness as its own service (`lawtrail witness serve`, issue #12 item 1).

The 依法治市办 runs it as a separate process — on another host in production, in another data
directory in the demo and the tests — with its own key, its own state and its own storage. It
never opens an agency's database: it follows each configured log over HTTP (the ledger's
read-only endpoints, docs/ledger-http.md), checks every new checkpoint against the log key it
was configured with and, with an RFC 9162 consistency proof, against the last checkpoint it
cosigned, cosigns it (c2sp.org/tlog-cosignature) and posts the cosignature back to the log. It
also answers C2SP tlog-witness ``POST /add-checkpoint`` through the same checks, so a log can
push its checkpoints too.

    settings.py   witness.toml: key, state directory, bind address, the logs it follows
    alerts.py     durable alerts (SQLite in the state directory)
    service.py    the checks and cosigning (shared by pull and push), following, stall detection
    http.py       the HTTP server: /add-checkpoint, /alerts, /status
    client.py     reading a witness's /alerts and /status (the CLI and the web application)
    cli.py        `lawtrail witness serve | alerts`
"""
