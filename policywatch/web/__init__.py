"""The analyst's window: a read-only web UI, JSON API and Atom feeds over the version history.

`create_app(db_url)` (app.py) builds the Flask app on a read-only connection; `policywatch serve`
runs it under waitress on 127.0.0.1.
"""
