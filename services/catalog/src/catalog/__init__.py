"""catalog — products, categories and prices, with FastAPI under uvicorn."""
