#!/usr/bin/env node
/*
 * Validates Kubernetes manifests offline: `node validateManifests.mjs FILE...` prints one JSON
 * line per document, { file, kind, name, errors } with errors null when valid. Core kinds are
 * checked against the Kubernetes API schemas that kubernetes-models carries; RabbitmqCluster
 * against rabbitmqClusterSchema.json, its override's containers and volumes as core types.
 * A separate ES module because kubernetes-models ships only as one, which Jest cannot load.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';

const rabbitmqClusterSchema = JSON.parse(
  readFileSync(
    new URL('./rabbitmqClusterSchema.json', import.meta.url),
    'utf8',
  ),
);
const validateRabbitmqCluster = new Ajv({ allErrors: true }).compile(
  rabbitmqClusterSchema,
);

function message(error) {
  return error instanceof Error ? error.message : String(error);
}

/** The kubernetes-models class for an apiVersion and kind: `apps/v1` Deployment → apps/v1/Deployment. */
async function modelClass(apiVersion, kind) {
  const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return module[kind];
}

async function validateCore(document) {
  const Model = await modelClass(document.apiVersion, document.kind);
  new Model(document).validate();
}

async function validateCluster(document) {
  if (!validateRabbitmqCluster(document)) {
    throw new Error(
      validateRabbitmqCluster.errors
        .map(error => `${error.instancePath || '/'} ${error.message}`)
        .join('; '),
    );
  }
  const pod = document.spec.override?.statefulSet?.spec?.template?.spec;
  const Container = await modelClass('v1', 'Container');
  const Volume = await modelClass('v1', 'Volume');
  for (const container of pod?.containers ?? []) {
    new Container(container).validate();
  }
  for (const volume of pod?.volumes ?? []) {
    new Volume(volume).validate();
  }
}

for (const file of process.argv.slice(2)) {
  for (const parsed of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const document = parsed.toJS();
    let errors = parsed.errors.length
      ? parsed.errors.map(message).join('; ')
      : null;
    if (!errors) {
      try {
        if (document.apiVersion === 'rabbitmq.com/v1beta1') {
          await validateCluster(document);
        } else {
          await validateCore(document);
        }
      } catch (error) {
        errors = message(error);
      }
    }
    process.stdout.write(
      `${JSON.stringify({
        file,
        kind: document?.kind,
        name: document?.metadata?.name,
        errors,
      })}\n`,
    );
  }
}
