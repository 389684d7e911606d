"""Extension objects, created here and bound to the app in the factory."""

from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from booking.models.base import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
