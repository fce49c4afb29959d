"""The reader's Django project, as deploy/any-wsgi-app.rst names it (``app = mysite.wsgi:application``)."""
