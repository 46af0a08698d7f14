"""The baseline of bench/http_load.py: the smallest Flask app, served the same way as the tracker."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
