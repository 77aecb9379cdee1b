from inventory.models import Base
from polykit.migrations import run_migrations

run_migrations(Base.metadata)
