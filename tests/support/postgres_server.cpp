// Written by the PostgreSQL harness task.
