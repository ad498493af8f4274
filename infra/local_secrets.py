"""Stores local secrets in a Secrets Manager endpoint (moto's, for `make dev`), as an operator
stores a stage's secrets before deploying: `local_secrets.py ENDPOINT NAME=FILE ...`. Existing
secrets get the file's current text, so it can run again and again."""

import sys

import boto3


def main(endpoint, pairs):
    client = boto3.client("secretsmanager", endpoint_url=endpoint)
    for pair in pairs:
        name, path = pair.split("=", 1)
        with open(path, encoding="utf-8") as source:
            text = source.read()
        try:
            client.put_secret_value(SecretId=name, SecretString=text)
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(Name=name, SecretString=text)
        print(f"secret {name} stored")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
