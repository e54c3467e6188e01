"""newsflow's pure core: one module per stage, each ending with its Prefect @task wrappers."""
