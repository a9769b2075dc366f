"""The read side of storage: what the CLI and the web UI ask of the stored history.

history: one document (resolve, versions, show, diff); feed: changes across documents;
search: measures containing a phrase; sites: sites and their documents; common: dates and
the document description every answer starts with. Each returns plain dicts (or rows) ready
for a table or JSON; storage.change_record decodes the stored changes for all of them.
"""
