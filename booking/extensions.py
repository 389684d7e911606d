"""Extension objects, created here and bound to the app in the factory."""

import os

from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from booking.models.base import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
# Answers only what booking.views.compression lets it (never a page with a secret in it).
compress = Compress()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see staff pages."
login_manager.session_protection = "strong"
# The migration scripts ship inside the package, wherever it is installed.
migrate = Migrate(directory=os.path.join(os.path.dirname(__file__), "migrations"))
