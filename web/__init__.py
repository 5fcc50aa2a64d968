"""The Flask faces: app factory and blueprints."""
