"""The auditor's pages: a contract's timeline (journal and workflow tasks), search, exports."""
