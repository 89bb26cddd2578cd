"""gunicorn settings for the benchmark, the same for the hello app and the clinic.

Passed with --config so that the repository's gunicorn.conf.py (production: workers from the CPU count,
an error log on stderr) does not apply; bench/run.py gives workers, threads and the bind on the command line.
"""

worker_class = "sync"
timeout = 120  # the CSV export of 100,000 rows is one long response
control_socket_disable = True
accesslog = None
