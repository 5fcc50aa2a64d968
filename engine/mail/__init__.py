"""The e-mail channel: messages received by SMTP (:mod:`.gateway`) or fetched by IMAP (:mod:`.fetch`)
become reports through :func:`.intake.receive`, which stores each message before anything else."""
