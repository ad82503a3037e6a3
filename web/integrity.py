"""(being written)"""

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
