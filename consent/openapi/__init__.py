"""The OpenAPI 3.1 document of the whole HTTP API, assembled from each area's
paths and schemas.
"""
