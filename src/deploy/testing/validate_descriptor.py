#!/usr/bin/python3
"""Validates deployment descriptors against the platforms' published JSON Schemas.

usage: validate_descriptor.py --schemas DIR --schema KIND [--strict] [--same-as JSON] FILE

KIND and the schema each file is checked against (files in DIR, see its README):
  kubernetes      every document of a multi-document YAML, by apiVersion/kind, against
                  kubernetes-definitions.json #/definitions/io.k8s.api.<group>.<version>.<Kind>
                  (autoscaling/v2 HorizontalPodAutoscaler: that snapshot has no v2 definition;
                  v2beta2's is the same object, so it is used, and the script says so)
  knative         knative-serving-service-crd.yaml: spec.versions[apiVersion].schema.openAPIV3Schema
  kserve          kserve-inferenceservice-crd.yaml: the same for the InferenceService
  aws-sam         aws-sam.schema.json (the whole template)
  azure-host      azure-functions-host.json
  azure-function  azure-functions-function.json

--strict adds "additionalProperties": false to every object schema that lists properties and
neither allows others nor preserves unknown fields (x-kubernetes-preserve-unknown-fields): the
API server's strict field validation (kubectl apply's default), which rejects unknown fields
that a plain JSON Schema would let through. Used for the Kubernetes-family kinds only.
--same-as checks that the file (YAML or JSON) parses to exactly the JSON value in that file:
the YAML writer's output as a real YAML parser reads it.

Exit status: 0 valid, 1 invalid (each error printed with its path), 2 usage or missing schema.
Validator: python3-jsonschema (Debian), the draft each schema declares; CRD schemas (OpenAPI
3.0 schema objects) as draft-04, the draft OpenAPI 3.0's schema object is built on; the Azure
function.json schema as draft-07 (see below).
"""
import argparse
import copy
import json
import os
import sys

import jsonschema
import yaml


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        return [json.loads(text)]
    return [d for d in yaml.safe_load_all(text) if d is not None]


def strict(schema):
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and "patternProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields", False)):
        out["additionalProperties"] = False
    return out


def crd_schema(path, api_version):
    crd = [d for d in load_docs(path) if d.get("kind") == "CustomResourceDefinition"][0]
    group = crd["spec"]["group"]
    for v in crd["spec"]["versions"]:
        if f"{group}/{v['name']}" == api_version and v.get("served", False):
            return v["schema"]["openAPIV3Schema"]
    raise SystemExit(f"{path}: no served version {api_version}")


def k8s_definition(defs, doc):
    api = doc.get("apiVersion", "")
    kind = doc.get("kind", "")
    group, _, version = api.rpartition("/")
    if not group:
        group = "core"
    name = f"io.k8s.api.{group.split('.')[0]}.{version}.{kind}"
    if name not in defs and name == "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler":
        print(f"note: {name} is not in this snapshot; using autoscaling.v2beta2 (same fields)")
        name = "io.k8s.api.autoscaling.v2beta2.HorizontalPodAutoscaler"
    if name not in defs:
        raise SystemExit(f"no definition {name} for apiVersion {api} kind {kind}")
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--schema", required=True,
                    choices=["kubernetes", "knative", "kserve", "aws-sam", "azure-host",
                             "azure-function"])
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--same-as")
    ap.add_argument("file")
    a = ap.parse_args()
    docs = load_docs(a.file)
    if a.same_as:
        with open(a.same_as, encoding="utf-8") as f:
            want = json.load(f)
        got = docs if isinstance(want, list) else (docs[0] if len(docs) == 1 else docs)
        if got != want:
            print(f"{a.file}: parses to\n{json.dumps(got, sort_keys=True)}\nnot\n"
                  f"{json.dumps(want, sort_keys=True)}")
            return 1
    p = lambda name: os.path.join(a.schemas, name)
    jobs = []  # (label, schema, validator class, doc)
    if a.schema == "kubernetes":
        with open(p("kubernetes-definitions.json"), encoding="utf-8") as f:
            defs = json.load(f)["definitions"]
        if a.strict:
            defs = strict(defs)
        for doc in docs:
            name = k8s_definition(defs, doc)
            schema = {"$ref": f"#/definitions/{name}", "definitions": defs}
            jobs.append((f"#/definitions/{name}", schema, jsonschema.Draft7Validator, doc))
    elif a.schema in ("knative", "kserve"):
        crd = {"knative": "knative-serving-service-crd.yaml",
               "kserve": "kserve-inferenceservice-crd.yaml"}[a.schema]
        for doc in docs:
            schema = crd_schema(p(crd), doc.get("apiVersion", ""))
            if a.strict:
                schema = strict(schema)
            jobs.append((f"{crd} openAPIV3Schema", schema, jsonschema.Draft4Validator, doc))
    else:
        name = {"aws-sam": "aws-sam.schema.json", "azure-host": "azure-functions-host.json",
                "azure-function": "azure-functions-function.json"}[a.schema]
        with open(p(name), encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        if a.schema == "azure-function":
            # This file declares draft-04 but its sqlBinding alternatives use `const` (draft-06):
            # read as draft-04, `const` is ignored, the sql alternative accepts every binding
            # and the bindings' oneOf then rejects even an httpTrigger. Draft-07 reads it as
            # written; nothing else in the file differs between the two drafts.
            cls = jsonschema.Draft7Validator
        for doc in docs:
            jobs.append((name, schema, cls, doc))
    bad = 0
    for label, schema, cls, doc in jobs:
        errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
        what = f"{doc.get('kind', a.schema)} {doc.get('metadata', {}).get('name', '')}".strip() \
            if isinstance(doc, dict) else a.schema
        if errors:
            bad += 1
            print(f"INVALID {what} against {label} ({cls.__name__}):")
            for e in errors[:20]:
                path = "/".join(str(x) for x in e.absolute_path)
                print(f"  at /{path}: {e.message[:300]}")
        else:
            print(f"valid {what} against {label} ({cls.__name__}{', strict' if a.strict else ''})")
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, yaml.YAMLError, json.JSONDecodeError) as e:
        print(f"validate_descriptor: {e}")
        sys.exit(2)
