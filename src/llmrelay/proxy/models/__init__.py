"""Models and credentials managed at run time (general_settings.store_model_in_db): the merged model
list a worker serves (catalog.py), the admin routes that change it (routes.py, credential_routes.py),
and their installation into a worker (setup.py). Config reload is proxy/reload.py."""
