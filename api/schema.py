"""Schema additions drf-spectacular does not make: the problem-details error responses."""

PROBLEM = {
    "type": "object",
    "description": "Erreur au format RFC 9457 (application/problem+json), en français.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Erreurs de validation, une par champ fautif.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "nullable": True},
                    "message": {"type": "string"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

ERRORS = {
    "400": "Requête invalide : les champs fautifs sont nommés dans `errors`.",
    "401": "Jeton absent, inconnu, expiré ou révoqué.",
    "403": "Rôle insuffisant, ou contrôle à quatre yeux (motif dans `detail`).",
    "404": "Objet inexistant ou hors de votre périmètre.",
    "429": "Trop de requêtes pour ce jeton (`Retry-After`).",
}
WRITE_ERRORS = {
    "409": (
        "Étape déjà traitée ou non ouverte, statut incompatible, ou dossier verrouillé par "
        "une autre action (`Retry-After`)."
    ),
    "422": "Refusé par une règle du contrat (`detail`).",
}


def add_problem_responses(result, generator, request, public):
    """Document the problem-details answers of every operation (postprocessing hook)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            errors = {**ERRORS, **(WRITE_ERRORS if method == "post" else {})}
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": content})
    return result


def add_links(result, generator, request, public):
    """Link each list to the operations on its first row (OpenAPI links, postprocessing hook).

    drf-spectacular writes no links; clients and schemathesis's stateful tests follow these
    from ``GET /contracts/`` to ``/contracts/{id}/``, its progress and its actions.
    """
    paths = result.get("paths", {})
    for path, item in paths.items():
        if "{" not in path:
            continue
        prefix, _, rest = path.partition("{")
        parameter = rest.split("}", 1)[0]
        listing = paths.get(prefix, {}).get("get")
        if listing is None or "200" not in listing.get("responses", {}):
            continue
        links = listing["responses"]["200"].setdefault("links", {})
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            name = "".join(part.capitalize() for part in operation["operationId"].split("_"))
            links[name] = {
                "operationId": operation["operationId"],
                "parameters": {parameter: f"$response.body#/results/0/{parameter}"},
            }
    return result
