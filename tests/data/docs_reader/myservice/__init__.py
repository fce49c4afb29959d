"""The reader's service, as the docs name it (``egg:myservice#versions``, ``myservice.api:make_mapper``)."""
