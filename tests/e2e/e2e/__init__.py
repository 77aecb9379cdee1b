"""polyshop's end-to-end suite: a black box over HTTP, importing no service code."""
