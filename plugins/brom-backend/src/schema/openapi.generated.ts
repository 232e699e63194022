// Generated from openapi.yaml by scripts/generate-openapi.js; do not edit.
/* eslint-disable */
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';

export const spec = {
  "openapi": "3.1.0",
  "info": {
    "title": "BROM",
    "version": "0.1.0",
    "description": "Self-service portal for RabbitMQ notification infrastructure: applications, the\nnotification types they produce, subscriptions between them, credentials, audit history,\nand the authz snapshot feed the sidecars long-poll.\n\nEvery user route needs a signed-in user (`Authorization: Bearer <Backstage user token>`);\nservice tokens are refused with 403. Mutations that change an existing object send the\n`generation` the client last saw; a stale one is answered with 409 and the current object\nin `error.current`.\n",
    "license": {
      "name": "Apache-2.0"
    }
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "tags": [
    {
      "name": "Applications"
    },
    {
      "name": "Notification types"
    },
    {
      "name": "Subscriptions"
    },
    {
      "name": "Credentials"
    },
    {
      "name": "Audit"
    },
    {
      "name": "Dead letters",
      "description": "Peek at, replay and purge a consumer's dead-lettered messages."
    },
    {
      "name": "Service",
      "description": "Routes for other Backstage plugins and the authz sidecars, not for users."
    }
  ],
  "security": [
    {
      "BackstageToken": []
    }
  ],
  "paths": {
    "/health": {
      "get": {
        "operationId": "health",
        "tags": [
          "Service"
        ],
        "summary": "Liveness of the plugin; needs no credentials.",
        "security": [],
        "responses": {
          "200": {
            "description": "The plugin is up.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "required": [
                    "status"
                  ],
                  "properties": {
                    "status": {
                      "type": "string",
                      "enum": [
                        "ok"
                      ]
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/service/catalog-export": {
      "get": {
        "operationId": "getCatalogExport",
        "tags": [
          "Service"
        ],
        "summary": "Live applications, types and approved subscriptions for the catalog module.",
        "description": "Only the catalog plugin's own service identity (`plugin:catalog`) may read it.",
        "responses": {
          "200": {
            "description": "BROM's state at one version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CatalogExport"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/service/catalog-changes": {
      "get": {
        "operationId": "waitForCatalogChanges",
        "tags": [
          "Service"
        ],
        "summary": "Long-poll for the catalog module; answers with what changed since a point of the change log.",
        "description": "Only the catalog plugin's own service identity (`plugin:catalog`) may call it. `after` is\nthe change-log position the caller holds (`sequence` of the export or of the last answer).\nAnswers at once when something changed since, otherwise as soon as something does, or\nafter `waitSeconds` with nothing. The answer names the applications whose catalog\nentities may have changed and carries their live rows only (their types and the approved\nsubscriptions of their queues), so that the catalog rebuilds only their entities. With\n`full`, the changes are too many (or `after` is unknown): read the whole export instead.\n",
        "parameters": [
          {
            "name": "after",
            "in": "query",
            "required": true,
            "description": "The change-log position the caller holds.",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "waitSeconds",
            "in": "query",
            "required": false,
            "description": "How long to wait for a change; default 0, at most 60.",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "maximum": 60
            }
          }
        ],
        "responses": {
          "200": {
            "description": "What changed since `after`; nothing when `sequence` equals `after`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CatalogChanges"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/service/catalog-version": {
      "get": {
        "operationId": "waitForCatalogChange",
        "tags": [
          "Service"
        ],
        "summary": "Long-poll for the catalog module; answers when BROM's state moves on.",
        "description": "Only the catalog plugin's own service identity (`plugin:catalog`) may call it. Answers\nat once when BROM's state version is not `after` (the version of the export the catalog\nholds), otherwise as soon as it moves past it, or after `waitSeconds` with `after`\nitself: no change. The catalog module fetches the export only when the version moved.\n",
        "parameters": [
          {
            "name": "after",
            "in": "query",
            "required": true,
            "description": "The state version of the export the caller holds.",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "waitSeconds",
            "in": "query",
            "required": false,
            "description": "How long to wait for a change; default 0, at most 60.",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "maximum": 60
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The current state version; equal to `after` when nothing changed.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "required": [
                    "version"
                  ],
                  "properties": {
                    "version": {
                      "type": "integer",
                      "minimum": 0
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "description": "The portal is shutting down; polls held when the shutdown began are answered at\nonce with the version unchanged and `Connection: close`.\n",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorResponse"
                }
              }
            }
          }
        }
      }
    },
    "/service/memberships/{userEntityRef}": {
      "put": {
        "operationId": "replaceMemberships",
        "tags": [
          "Service"
        ],
        "summary": "Records the groups Feide reported at a user's sign-in.",
        "description": "Only the auth plugin's service identity (`plugin:auth`) may call it: the Feide sign-in\nresolver does, at every sign-in. Creates the user at the first sign-in and replaces\ntheir group memberships, so leaving a group takes effect at the next sign-in.\n",
        "parameters": [
          {
            "name": "userEntityRef",
            "in": "path",
            "required": true,
            "description": "The user's entity ref in the default namespace, e.g. `user:default/feide-<sub>`.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SignInMemberships"
              }
            }
          }
        },
        "responses": {
          "204": {
            "description": "The user and their memberships are recorded."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/service/org-export": {
      "get": {
        "operationId": "getOrgExport",
        "tags": [
          "Service"
        ],
        "summary": "Users and the groups they were in at their latest sign-in, for the catalog module.",
        "description": "Only the catalog plugin's own service identity (`plugin:catalog`) may read it.",
        "responses": {
          "200": {
            "description": "Every user who signed in, and every group with at least one member.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/OrgExport"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/authz/snapshot": {
      "get": {
        "operationId": "getAuthzSnapshot",
        "tags": [
          "Service"
        ],
        "summary": "The authz snapshot, long-polled by the sidecars.",
        "description": "Readable only by the sidecars' service identities (`brom.authz.sidecarSubjects`); users\nand other services get 403. With `If-None-Match` set to the ETag of the snapshot the\nsidecar holds, the request waits up to `waitSeconds` for a newer version and answers\n304 when none came. Each request records which version that sidecar instance holds.\n",
        "parameters": [
          {
            "name": "sidecar",
            "in": "query",
            "required": true,
            "description": "Stable identifier of the sidecar instance.",
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
            }
          },
          {
            "name": "waitSeconds",
            "in": "query",
            "required": false,
            "description": "How long to wait for a version newer than the one in `If-None-Match`; default 0,\nat most 60 (`AUTHZ_SNAPSHOT_HTTP.maxWaitSeconds`, which both sides share).\n",
            "schema": {
              "type": "number",
              "minimum": 0,
              "maximum": 60
            }
          },
          {
            "name": "epoch",
            "in": "query",
            "required": false,
            "description": "The epoch of the snapshot the sidecar holds. When it is not this portal's database\n(restored or rebuilt), the held version is ignored and the full snapshot is served.\n",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 64
            }
          },
          {
            "name": "delta",
            "in": "query",
            "required": false,
            "description": "`1`: the sidecar accepts a delta from the version in `If-None-Match` (an\n`AuthzSnapshotDelta`, told apart by its `from`), sent when this portal still has\nthat version; otherwise the whole snapshot comes.\n",
            "schema": {
              "type": "string",
              "enum": [
                "1"
              ]
            }
          },
          {
            "name": "If-None-Match",
            "in": "header",
            "required": false,
            "description": "The ETag of the snapshot the sidecar holds, `\"<version>\"` (a `W/` prefix is accepted).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A snapshot newer than the one in `If-None-Match` (or the current one, without it).",
            "headers": {
              "ETag": {
                "description": "The snapshot's version in double quotes; send it back in `If-None-Match`.",
                "schema": {
                  "type": "string",
                  "pattern": "^\"[0-9]+\"$"
                }
              },
              "Cache-Control": {
                "schema": {
                  "type": "string",
                  "enum": [
                    "no-store"
                  ]
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/AuthzSnapshot"
                    },
                    {
                      "$ref": "#/components/schemas/AuthzSnapshotDelta"
                    }
                  ]
                }
              }
            }
          },
          "304": {
            "description": "No version newer than the one in `If-None-Match` within `waitSeconds`."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "description": "The portal is shutting down (Backstage answers every request so from then on); poll\nagain after a backoff. Polls held when the shutdown began are answered at once, with\n`Connection: close`.\n",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorResponse"
                }
              }
            }
          }
        }
      }
    },
    "/applications": {
      "get": {
        "operationId": "listApplications",
        "tags": [
          "Applications"
        ],
        "summary": "Search applications.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Search"
          },
          {
            "$ref": "#/components/parameters/OwnerFilter"
          },
          {
            "name": "mine",
            "in": "query",
            "description": "Only applications owned by the signed-in user or their groups.",
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "includeDeleted",
            "in": "query",
            "description": "Include applications that are being deleted.",
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "entityRef",
            "in": "query",
            "description": "Only the application registered for this catalog entity.",
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          },
          {
            "name": "consuming",
            "in": "query",
            "description": "Only applications with an approved subscription (consumers).",
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "sort",
            "in": "query",
            "description": "The order of the list; the name breaks ties.",
            "schema": {
              "type": "string",
              "enum": [
                "name",
                "title",
                "owner"
              ],
              "default": "name"
            }
          },
          {
            "$ref": "#/components/parameters/Order"
          },
          {
            "$ref": "#/components/parameters/Cursor"
          },
          {
            "$ref": "#/components/parameters/Offset"
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "One page of applications, in the order asked for.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplicationPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      },
      "post": {
        "operationId": "createApplication",
        "tags": [
          "Applications"
        ],
        "summary": "Register an application for a group the user belongs to.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CreateApplicationRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new application.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Application"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        }
      }
    },
    "/applications/{name}": {
      "get": {
        "operationId": "getApplication",
        "tags": [
          "Applications"
        ],
        "responses": {
          "200": {
            "description": "The application (also while it is being deleted).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Application"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      },
      "patch": {
        "operationId": "updateApplication",
        "tags": [
          "Applications"
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/UpdateApplicationRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The updated application; its generation is incremented.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Application"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      },
      "delete": {
        "operationId": "deleteApplication",
        "tags": [
          "Applications"
        ],
        "summary": "Start deleting an application (sets `deletedAt`; the reconciler removes its broker objects).",
        "description": "Refused with 409 while other applications subscribe to its notification types, naming\nthem; an administrator may `force` it, which revokes those subscriptions.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/GenerationQuery"
          },
          {
            "$ref": "#/components/parameters/Force"
          }
        ],
        "responses": {
          "200": {
            "description": "The application, now with `deletedAt` set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Application"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        }
      }
    },
    "/applications/{name}/queue-deletion-confirmation": {
      "post": {
        "operationId": "confirmQueueDeletion",
        "tags": [
          "Applications"
        ],
        "summary": "Accept losing the messages still in the queue of an application being deleted.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ConfirmQueueDeletionRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The application, with `queueDeletionConfirmedAt` set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Application"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/applications/{name}/status": {
      "get": {
        "operationId": "getApplicationStatus",
        "tags": [
          "Applications"
        ],
        "summary": "What the reconciler last recorded about the application's broker objects.",
        "description": "Compared with the desired state (work not done yet is pending) and, when the last full pass is older than a few seconds, with a look at the application's objects on the broker (an object deleted by hand reads `Missing`). Bindings of subscriptions the caller may not see are left out; unmanaged objects are listed for the application's owners and administrators only.\n",
        "responses": {
          "200": {
            "description": "Sync status per broker object and a summary.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplicationStatus"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/unmanaged-objects": {
      "get": {
        "operationId": "listUnmanagedObjects",
        "tags": [
          "Applications"
        ],
        "summary": "Objects in BROM's vhost that BROM did not create or adopt (administrators).",
        "description": "As the reconciler's last full pass saw them. BROM leaves them alone; a binding from a producer's exchange to a foreign queue copies the producer's messages. Needs the `brom.broker.read-unmanaged` permission.\n",
        "responses": {
          "200": {
            "description": "The unmanaged objects and when the vhost was observed.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/UnmanagedObjectList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/applications/{name}/health": {
      "get": {
        "operationId": "getApplicationHealth",
        "tags": [
          "Applications"
        ],
        "summary": "Message counts and rates of the application's queue, dead-letter queue and exchange, with warnings (owners and administrators).",
        "description": "Read from the broker's management API by one request for all queues and one for all\nexchanges of the vhost, cached for a few seconds and shared by every application.\n",
        "responses": {
          "200": {
            "description": "The application's queue health.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ApplicationHealth"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/applications/{name}/dead-letters": {
      "get": {
        "operationId": "peekDeadLetters",
        "tags": [
          "Dead letters"
        ],
        "summary": "Peek at the first messages of a consumer's dead-letter queue (owners and administrators).",
        "description": "Takes up to `count` messages from the head of the dead-letter queue through the\nmanagement API's \"get messages\" and puts each back at once (`ack_requeue_true`):\nnothing is removed, but **peeking re-queues**: every message shown is marked\nredelivered afterwards, a quorum queue counts the delivery (`x-delivery-count`), and\ntheir order may change. Refused (409) while a `delivery-limit` applies to the queue,\nsince the broker would drop a message peeked too often. While a replay runs nothing is\ntaken and `messages` is empty. Payloads are cut to 2048 bytes. Audited.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "name": "count",
            "in": "query",
            "description": "How many messages to show, 1 to 50.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 50,
              "default": 10
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The first messages and the queue's count.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeadLetterPeek"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/DeadLetterConflict"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "delete": {
        "operationId": "purgeDeadLetters",
        "tags": [
          "Dead letters"
        ],
        "summary": "Purge a consumer's dead-letter queue (owners and administrators).",
        "description": "Removes every ready message of the dead-letter queue (the management API's purge).\nThe API does not say how many it removed: `purged` is the queue's count in the\nbroker's statistics just before, which lag by a few seconds. Refused (409) while a\nreplay runs.\nAudited.\n",
        "responses": {
          "200": {
            "description": "How many messages were purged.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeadLetterPurge"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/DeadLetterConflict"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/applications/{name}/dead-letters/replay": {
      "post": {
        "operationId": "replayDeadLetters",
        "tags": [
          "Dead letters"
        ],
        "summary": "Move the dead-lettered messages back to the consumer's queue (owners and administrators).",
        "description": "Starts a dynamic shovel from the dead-letter queue to the consumer's queue that\nconfirms each message before removing it from the dead-letter queue and deletes itself\nonce it has moved as many messages as the queue held when the replay started (a\ncount BROM takes and gives as `src-delete-after`; the management UI's \"Move messages\"\ngives `queue-length`, the shovel's own count).\nAnswers at once with how many it moves; messages dead-lettered afterwards stay. Refused\n(409) while an earlier replay still runs. Audited.\n",
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "maxProperties": 0
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "The replay started (or there was nothing to move).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeadLetterReplay"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/DeadLetterConflict"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/notification-types": {
      "get": {
        "operationId": "listNotificationTypes",
        "tags": [
          "Notification types"
        ],
        "summary": "Search the notification types the user may see (public ones and their own groups' private ones).",
        "parameters": [
          {
            "$ref": "#/components/parameters/Search"
          },
          {
            "$ref": "#/components/parameters/OwnerFilter"
          },
          {
            "name": "application",
            "in": "query",
            "description": "Only types of this producer.",
            "schema": {
              "type": "string",
              "maxLength": 63
            }
          },
          {
            "name": "sort",
            "in": "query",
            "description": "The order of the list: by producer then name, by name then producer, or by the producer's owner.",
            "schema": {
              "type": "string",
              "enum": [
                "producer",
                "name",
                "owner"
              ],
              "default": "producer"
            }
          },
          {
            "$ref": "#/components/parameters/Order"
          },
          {
            "$ref": "#/components/parameters/Cursor"
          },
          {
            "$ref": "#/components/parameters/Offset"
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "One page of notification types, in the order asked for.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationTypePage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/applications/{name}/notification-types": {
      "get": {
        "operationId": "listApplicationNotificationTypes",
        "tags": [
          "Notification types"
        ],
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/Search"
          },
          {
            "name": "sort",
            "in": "query",
            "description": "The order of the list: by producer then name, by name then producer, or by the producer's owner.",
            "schema": {
              "type": "string",
              "enum": [
                "producer",
                "name",
                "owner"
              ],
              "default": "producer"
            }
          },
          {
            "$ref": "#/components/parameters/Order"
          },
          {
            "$ref": "#/components/parameters/Cursor"
          },
          {
            "$ref": "#/components/parameters/Offset"
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "One page of the producer's notification types the user may see.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationTypePage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      },
      "post": {
        "operationId": "createNotificationType",
        "tags": [
          "Notification types"
        ],
        "summary": "Declare a notification type the application produces.",
        "description": "Its routing-key pattern must not overlap with the producer's other patterns (400).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CreateNotificationTypeRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new notification type.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationType"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/applications/{name}/notification-types/{type}": {
      "get": {
        "operationId": "getNotificationType",
        "tags": [
          "Notification types"
        ],
        "description": "A private type is visible only to its producer's owners and administrators; to anyone\nelse it does not exist (404).\n",
        "responses": {
          "200": {
            "description": "The notification type.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationType"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/NotificationTypeName"
          }
        ]
      },
      "patch": {
        "operationId": "updateNotificationType",
        "tags": [
          "Notification types"
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/UpdateNotificationTypeRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The updated notification type; its generation is incremented.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationType"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/NotificationTypeName"
          }
        ]
      },
      "delete": {
        "operationId": "deleteNotificationType",
        "tags": [
          "Notification types"
        ],
        "description": "Refused with 409 while applications subscribe to it, naming them; an administrator may\n`force` it, which revokes those subscriptions.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/NotificationTypeName"
          },
          {
            "$ref": "#/components/parameters/GenerationQuery"
          },
          {
            "$ref": "#/components/parameters/Force"
          }
        ],
        "responses": {
          "200": {
            "description": "The notification type, now with `deletedAt` set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationType"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        }
      }
    },
    "/applications/{name}/notification-types/{type}/deprecation": {
      "post": {
        "operationId": "deprecateNotificationType",
        "tags": [
          "Notification types"
        ],
        "description": "Deprecates the type: new subscription requests are refused (409, naming the\nsuccessor), the live subscribers are told (`notificationType.deprecated`), and at\n`sunsetAt` their subscriptions end. The first sunset must lie at least\n`brom.lifecycle.minimumSunsetDays` ahead. On a type already deprecated this moves the\nsunset later (never earlier) and may change the successor; once the sunset has\npassed, 409.\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/DeprecateNotificationTypeRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The deprecated notification type; its generation is incremented.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NotificationType"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/NotificationTypeName"
          }
        ]
      }
    },
    "/applications/{name}/notification-types/{type}/versions": {
      "post": {
        "operationId": "createNotificationTypeVersion",
        "tags": [
          "Notification types"
        ],
        "description": "A new version of the type, in one transaction: a new type named `name` that starts as\na copy of this one with the given changes, and this type deprecated with the new one\nas its successor and `sunsetAt` as its sunset. The way to change what live\nsubscribers receive (a PATCH that would is refused with 409 while it has any).\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CreateNotificationTypeVersionRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new version and the type it replaces.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "required": [
                    "notificationType",
                    "predecessor"
                  ],
                  "properties": {
                    "notificationType": {
                      "$ref": "#/components/schemas/NotificationType"
                    },
                    "predecessor": {
                      "$ref": "#/components/schemas/NotificationType"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "$ref": "#/components/parameters/NotificationTypeName"
          }
        ]
      }
    },
    "/subscriptions": {
      "get": {
        "operationId": "listSubscriptions",
        "tags": [
          "Subscriptions"
        ],
        "parameters": [
          {
            "name": "consumer",
            "in": "query",
            "schema": {
              "type": "string",
              "maxLength": 63
            }
          },
          {
            "name": "producer",
            "in": "query",
            "schema": {
              "type": "string",
              "maxLength": 63
            }
          },
          {
            "name": "notificationType",
            "in": "query",
            "schema": {
              "type": "string",
              "maxLength": 63
            }
          },
          {
            "name": "state",
            "in": "query",
            "schema": {
              "$ref": "#/components/schemas/SubscriptionState"
            }
          },
          {
            "name": "mine",
            "in": "query",
            "description": "Only subscriptions of consumers the user may request for.",
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "q",
            "in": "query",
            "description": "Case-insensitive substring of the consumer's, producer's or type's name, or the justification.",
            "schema": {
              "type": "string",
              "maxLength": 200
            }
          },
          {
            "name": "sort",
            "in": "query",
            "description": "The order of the list; the id breaks ties.",
            "schema": {
              "type": "string",
              "enum": [
                "updatedAt",
                "requestedAt",
                "consumer",
                "producer"
              ],
              "default": "updatedAt"
            }
          },
          {
            "name": "order",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "asc",
                "desc"
              ],
              "default": "desc"
            }
          },
          {
            "$ref": "#/components/parameters/Cursor"
          },
          {
            "$ref": "#/components/parameters/Offset"
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "One page of subscriptions, by default most recently changed first.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SubscriptionPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      },
      "post": {
        "operationId": "requestSubscription",
        "tags": [
          "Subscriptions"
        ],
        "summary": "Ask to subscribe a consumer to a notification type.",
        "description": "Types that need no approval are approved at once. Asking again after a rejection or\nrevocation re-opens the same subscription.\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RequestSubscriptionRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The subscription, `requested` or (without approval) `approved`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Subscription"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        }
      }
    },
    "/approvals": {
      "get": {
        "operationId": "listApprovals",
        "tags": [
          "Subscriptions"
        ],
        "summary": "Requests waiting on producers the user may decide for, and the decided ones.",
        "parameters": [
          {
            "name": "state",
            "in": "query",
            "description": "`requested` (waiting), `decided` (approved, rejected or revoked) or one decided state.",
            "schema": {
              "type": "string",
              "enum": [
                "requested",
                "decided",
                "approved",
                "rejected",
                "revoked"
              ],
              "default": "requested"
            }
          },
          {
            "name": "q",
            "in": "query",
            "description": "Case-insensitive substring of the consumer's, producer's or type's name, or the justification.",
            "schema": {
              "type": "string",
              "maxLength": 200
            }
          },
          {
            "name": "sort",
            "in": "query",
            "description": "The order of the list; the id breaks ties.",
            "schema": {
              "type": "string",
              "enum": [
                "updatedAt",
                "requestedAt",
                "consumer",
                "producer"
              ],
              "default": "updatedAt"
            }
          },
          {
            "name": "order",
            "in": "query",
            "schema": {
              "type": "string",
              "enum": [
                "asc",
                "desc"
              ],
              "default": "desc"
            }
          },
          {
            "$ref": "#/components/parameters/Cursor"
          },
          {
            "$ref": "#/components/parameters/Offset"
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "One page of subscriptions to producers the user may decide for.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SubscriptionPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/subscriptions/{id}": {
      "get": {
        "operationId": "getSubscription",
        "tags": [
          "Subscriptions"
        ],
        "description": "A subscription to a private type is visible to the producer's owners, the consumer's\nowners and administrators; to anyone else it does not exist (404), here and in lists.\n",
        "responses": {
          "200": {
            "description": "The subscription, with the reason of a rejection or revocation.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Subscription"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/SubscriptionId"
          }
        ]
      }
    },
    "/subscriptions/{id}/approve": {
      "post": {
        "operationId": "approveSubscription",
        "tags": [
          "Subscriptions"
        ],
        "description": "For the producer's owners. The user who requested the subscription cannot approve or\nreject it (403), even when they own the producer too, if the request needed approval\nwhen it was made (whatever the type's rule is now).\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ApproveSubscriptionRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The approved subscription.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Subscription"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/SubscriptionId"
          }
        ]
      }
    },
    "/subscriptions/{id}/reject": {
      "post": {
        "operationId": "rejectSubscription",
        "tags": [
          "Subscriptions"
        ],
        "description": "For the producer's owners; the requester sees the reason.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ReasonedDecisionRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The rejected subscription.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Subscription"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/SubscriptionId"
          }
        ]
      }
    },
    "/subscriptions/{id}/revoke": {
      "post": {
        "operationId": "revokeSubscription",
        "tags": [
          "Subscriptions"
        ],
        "description": "For the owners of either side; a consumer revoking a pending request cancels it.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ReasonedDecisionRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The revoked subscription.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Subscription"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/SubscriptionId"
          }
        ]
      }
    },
    "/applications/{name}/credentials": {
      "get": {
        "operationId": "listCredentials",
        "tags": [
          "Credentials"
        ],
        "summary": "Credential metadata; never the secrets.",
        "responses": {
          "200": {
            "description": "All credentials of the application, oldest first.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CredentialList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      },
      "post": {
        "operationId": "createCredential",
        "tags": [
          "Credentials"
        ],
        "summary": "Issue a credential; the secret is in this response only.",
        "description": "At most two credentials are live at once (409).",
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CreateCredentialRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The credential and its secret, sent with `Cache-Control: no-store`.",
            "headers": {
              "Cache-Control": {
                "schema": {
                  "type": "string",
                  "enum": [
                    "no-store"
                  ]
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/IssuedCredential"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/applications/{name}/credentials/rotate": {
      "post": {
        "operationId": "rotateCredential",
        "tags": [
          "Credentials"
        ],
        "summary": "Issue a new credential and let the live ones expire after an overlap.",
        "description": "The live credentials' expiry is shortened to now + `overlapSeconds` (default 3600). Refused\nwith 409 while two credentials are live (a rotation is under way).\n",
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RotateCredentialRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new credential and its secret, sent with `Cache-Control: no-store`.",
            "headers": {
              "Cache-Control": {
                "schema": {
                  "type": "string",
                  "enum": [
                    "no-store"
                  ]
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/IssuedCredential"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          }
        ]
      }
    },
    "/applications/{name}/credentials/{id}/revoke": {
      "post": {
        "operationId": "revokeCredential",
        "tags": [
          "Credentials"
        ],
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "additionalProperties": false,
                "maxProperties": 0
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The revoked credential.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Credential"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "parameters": [
          {
            "$ref": "#/components/parameters/ApplicationName"
          },
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Credential id.",
            "schema": {
              "type": "string"
            }
          }
        ]
      }
    },
    "/audit-events": {
      "get": {
        "operationId": "listAuditEvents",
        "tags": [
          "Audit"
        ],
        "summary": "Audit history, newest first.",
        "description": "Owners read the history of their application (`application` is then required);\nadministrators may read all of it. History belongs to an application's identity, not\nits name: `application` alone gives the history of the application that holds the name\nnow (live or being deleted); with `includeDeleted=true` also that of earlier\napplications of that name, to those who owned them when they last changed (and\nadministrators). Each event's `applicationId` tells the applications apart.\n",
        "parameters": [
          {
            "name": "application",
            "in": "query",
            "schema": {
              "type": "string",
              "maxLength": 63
            }
          },
          {
            "name": "includeDeleted",
            "in": "query",
            "description": "With `application`, include the history of deleted applications of that name.",
            "schema": {
              "type": "string",
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "actor",
            "in": "query",
            "description": "User entity ref.",
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          },
          {
            "name": "action",
            "in": "query",
            "description": "e.g. `subscription.approved`.",
            "schema": {
              "type": "string",
              "maxLength": 64
            }
          },
          {
            "name": "since",
            "in": "query",
            "description": "Inclusive lower bound of `at`.",
            "schema": {
              "type": "string",
              "format": "date-time"
            }
          },
          {
            "name": "until",
            "in": "query",
            "description": "Exclusive upper bound of `at`.",
            "schema": {
              "type": "string",
              "format": "date-time"
            }
          },
          {
            "$ref": "#/components/parameters/Offset"
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "One page of audit events.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AuditEventPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "BackstageToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A Backstage user token (service tokens only where a route says so)."
      }
    },
    "parameters": {
      "ApplicationName": {
        "name": "name",
        "in": "path",
        "required": true,
        "description": "Application name.",
        "schema": {
          "$ref": "#/components/schemas/Name"
        }
      },
      "NotificationTypeName": {
        "name": "type",
        "in": "path",
        "required": true,
        "description": "Notification type name within the application.",
        "schema": {
          "$ref": "#/components/schemas/Name"
        }
      },
      "SubscriptionId": {
        "name": "id",
        "in": "path",
        "required": true,
        "description": "Subscription id.",
        "schema": {
          "type": "string"
        }
      },
      "Search": {
        "name": "q",
        "in": "query",
        "description": "Case-insensitive substring of name, title, description (or pattern).",
        "schema": {
          "type": "string",
          "maxLength": 200
        }
      },
      "OwnerFilter": {
        "name": "owner",
        "in": "query",
        "description": "Group entity ref of the owner.",
        "schema": {
          "type": "string",
          "maxLength": 255
        }
      },
      "Offset": {
        "name": "offset",
        "in": "query",
        "schema": {
          "type": "integer",
          "minimum": 0,
          "maximum": 1000000,
          "default": 0
        }
      },
      "Order": {
        "name": "order",
        "in": "query",
        "schema": {
          "type": "string",
          "enum": [
            "asc",
            "desc"
          ],
          "default": "asc"
        }
      },
      "Cursor": {
        "name": "cursor",
        "in": "query",
        "description": "The previous page's `nextCursor`, with the same sort and order; not with `offset`.",
        "schema": {
          "type": "string",
          "maxLength": 1000
        }
      },
      "Limit": {
        "name": "limit",
        "in": "query",
        "schema": {
          "type": "integer",
          "minimum": 1,
          "maximum": 500,
          "default": 50
        }
      },
      "GenerationQuery": {
        "name": "generation",
        "in": "query",
        "required": true,
        "description": "The generation the client last saw.",
        "schema": {
          "$ref": "#/components/schemas/Generation"
        }
      },
      "Force": {
        "name": "force",
        "in": "query",
        "description": "Administrators only; revokes the subscriptions in the way.",
        "schema": {
          "type": "string",
          "enum": [
            "true",
            "false"
          ]
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The request is malformed; the message says what to fix. Nothing was changed.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No valid credentials.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The principal may not do this (a service token on a user route, or a user who does not own the application).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "NotFound": {
        "description": "The application, notification type, subscription or credential does not exist.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "ServiceUnavailable": {
        "description": "A service BROM needs for this (the broker's management API) is not configured or does not answer.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "DeadLetterConflict": {
        "description": "The application has no dead-letter queue (it consumes nothing, or the reconciler has not\ncreated it yet), a replay is still running, or a delivery-limit makes peeking unsafe.\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      },
      "Conflict": {
        "description": "The change conflicts with the current state: a stale generation (then `error.current`\nholds the current object), a name that is taken, an object being deleted, subscribers\nin the way, or too many live credentials.\n",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorResponse"
            }
          }
        }
      }
    },
    "schemas": {
      "SignInMemberships": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "displayName",
          "groups"
        ],
        "properties": {
          "displayName": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255
          },
          "email": {
            "type": "string",
            "maxLength": 255
          },
          "groups": {
            "type": "array",
            "maxItems": 1000,
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "ref",
                "displayName"
              ],
              "properties": {
                "ref": {
                  "description": "A group entity ref in the default namespace, e.g. `group:default/feide-fc_adhoc_…`.",
                  "type": "string"
                },
                "displayName": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 255
                }
              }
            }
          }
        }
      },
      "OrgExport": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "users",
          "groups"
        ],
        "properties": {
          "users": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "entityRef",
                "displayName",
                "memberOf"
              ],
              "properties": {
                "entityRef": {
                  "type": "string"
                },
                "displayName": {
                  "type": "string"
                },
                "email": {
                  "type": "string"
                },
                "memberOf": {
                  "description": "Group entity refs, sorted.",
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                }
              }
            }
          },
          "groups": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "entityRef",
                "displayName"
              ],
              "properties": {
                "entityRef": {
                  "type": "string"
                },
                "displayName": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "Name": {
        "description": "Lower-case letters, digits and single dashes (catalog entity name rules).",
        "type": "string",
        "minLength": 1,
        "maxLength": 63,
        "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"
      },
      "GroupRef": {
        "type": "string",
        "pattern": "^group:[a-z0-9][a-z0-9._-]{0,62}/[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$",
        "examples": [
          "group:default/team-a"
        ]
      },
      "ComponentRef": {
        "type": "string",
        "pattern": "^component:[a-z0-9][a-z0-9._-]{0,62}/[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$",
        "examples": [
          "component:default/orders"
        ]
      },
      "RoutingKeyPattern": {
        "description": "Dotted words of letters and digits of any script (case kept), `_` and `-`; `*` stands for\none word, `#` for any number of words and only as the last word. At most 255 bytes of\nUTF-8. Matched as RabbitMQ's topic exchange routes: a wildcard takes any word.\n",
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^(?:(?:[\\p{L}\\p{M}\\p{N}_-]+|\\*)\\.)*(?:[\\p{L}\\p{M}\\p{N}_-]+|\\*|#)$"
      },
      "Generation": {
        "type": "integer",
        "minimum": 1
      },
      "Timestamp": {
        "type": "string",
        "format": "date-time"
      },
      "NullableTimestamp": {
        "type": [
          "string",
          "null"
        ],
        "format": "date-time"
      },
      "Text": {
        "description": "Free text without control, zero-width or bidirectional override characters.",
        "type": "string",
        "pattern": "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*$"
      },
      "SubscriptionState": {
        "type": "string",
        "enum": [
          "requested",
          "approved",
          "rejected",
          "revoked"
        ]
      },
      "ApplicationSettingsPatch": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "messageTtlMs": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1000,
            "maximum": 31536000000
          },
          "maxLength": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "maximum": 100000000
          }
        }
      },
      "CreateApplicationRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "owner"
        ],
        "properties": {
          "name": {
            "$ref": "#/components/schemas/Name"
          },
          "title": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 200
              }
            ]
          },
          "description": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 4000
              }
            ]
          },
          "owner": {
            "$ref": "#/components/schemas/GroupRef"
          },
          "entityRef": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/ComponentRef"
              },
              {
                "type": "null"
              }
            ]
          },
          "settings": {
            "$ref": "#/components/schemas/ApplicationSettingsPatch"
          },
          "externalProducer": {
            "description": "Registers the application as an external producer; the password is required.",
            "allOf": [
              {
                "$ref": "#/components/schemas/ExternalProducerRequest"
              },
              {
                "required": [
                  "password"
                ]
              }
            ]
          }
        }
      },
      "UpdateApplicationRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "title": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 200
              }
            ]
          },
          "description": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 4000
              }
            ]
          },
          "owner": {
            "$ref": "#/components/schemas/GroupRef"
          },
          "entityRef": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/ComponentRef"
              },
              {
                "type": "null"
              }
            ]
          },
          "settings": {
            "$ref": "#/components/schemas/ApplicationSettingsPatch"
          },
          "externalProducer": {
            "description": "The upstream of an external producer; without `password` the stored one stays.\nnull: no longer an external producer (its shovel is removed).\n",
            "oneOf": [
              {
                "$ref": "#/components/schemas/ExternalProducerRequest"
              },
              {
                "type": "null"
              }
            ]
          }
        }
      },
      "ExternalProducerRequest": {
        "description": "Where an external producer publishes: exactly one of `upstreamExchange` and\n`upstreamQueue`. The password is write-only: kept encrypted, never returned.\n",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "upstreamUri",
          "username"
        ],
        "properties": {
          "upstreamUri": {
            "description": "amqp:// or amqps:// host, port and vhost, without credentials.",
            "type": "string",
            "maxLength": 1000
          },
          "upstreamExchange": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "upstreamRoutingKey": {
            "description": "Binding key on the upstream exchange; default `#`.",
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "upstreamQueue": {
            "type": [
              "string",
              "null"
            ],
            "maxLength": 255
          },
          "username": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255
          },
          "password": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024,
            "writeOnly": true
          }
        }
      },
      "PayloadSchema": {
        "description": "A JSON Schema (draft-07) of the payload: valid against the meta-schema, objects and\narrays nested at most 32 deep, at most 64 KiB as JSON.\n",
        "type": [
          "object",
          "null"
        ]
      },
      "CreateNotificationTypeRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "routingKeyPattern",
          "description"
        ],
        "properties": {
          "name": {
            "$ref": "#/components/schemas/Name"
          },
          "routingKeyPattern": {
            "$ref": "#/components/schemas/RoutingKeyPattern"
          },
          "description": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 4000
              }
            ]
          },
          "payloadSchema": {
            "$ref": "#/components/schemas/PayloadSchema"
          },
          "visibility": {
            "type": "string",
            "enum": [
              "public",
              "private"
            ],
            "default": "public"
          },
          "requiresApproval": {
            "type": "boolean",
            "default": true
          }
        }
      },
      "UpdateNotificationTypeRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "routingKeyPattern": {
            "$ref": "#/components/schemas/RoutingKeyPattern"
          },
          "description": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 4000
              }
            ]
          },
          "payloadSchema": {
            "$ref": "#/components/schemas/PayloadSchema"
          },
          "visibility": {
            "type": "string",
            "enum": [
              "public",
              "private"
            ]
          },
          "requiresApproval": {
            "type": "boolean"
          }
        }
      },
      "DeprecateNotificationTypeRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation",
          "sunsetAt"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "sunsetAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "successor": {
            "description": "A current type of the same producer that replaces this one; null clears it.",
            "oneOf": [
              {
                "$ref": "#/components/schemas/Name"
              },
              {
                "type": "null"
              }
            ]
          }
        }
      },
      "CreateNotificationTypeVersionRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation",
          "name",
          "sunsetAt"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "name": {
            "$ref": "#/components/schemas/Name"
          },
          "sunsetAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "routingKeyPattern": {
            "$ref": "#/components/schemas/RoutingKeyPattern"
          },
          "description": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 4000
              }
            ]
          },
          "payloadSchema": {
            "$ref": "#/components/schemas/PayloadSchema"
          },
          "visibility": {
            "type": "string",
            "enum": [
              "public",
              "private"
            ]
          },
          "requiresApproval": {
            "type": "boolean"
          }
        }
      },
      "NotificationTypeDeprecation": {
        "description": "Set once the producer deprecated the type.",
        "type": [
          "object",
          "null"
        ],
        "additionalProperties": false,
        "required": [
          "deprecatedAt",
          "deprecatedBy",
          "sunsetAt",
          "successor"
        ],
        "properties": {
          "deprecatedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "deprecatedBy": {
            "description": "User entity ref of who deprecated it or last moved its sunset.",
            "type": "string"
          },
          "sunsetAt": {
            "description": "When the remaining subscriptions end.",
            "$ref": "#/components/schemas/Timestamp"
          },
          "successor": {
            "description": "Name of the type of the same producer that replaces it.",
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "RequestSubscriptionRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "consumer",
          "producer",
          "notificationType",
          "justification"
        ],
        "properties": {
          "consumer": {
            "$ref": "#/components/schemas/Name"
          },
          "producer": {
            "$ref": "#/components/schemas/Name"
          },
          "notificationType": {
            "$ref": "#/components/schemas/Name"
          },
          "justification": {
            "description": "Why the consumer needs these notifications; not blank.",
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 2000,
                "pattern": "\\S"
              }
            ]
          }
        }
      },
      "ApproveSubscriptionRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "reason": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 2000
              }
            ]
          }
        }
      },
      "ReasonedDecisionRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation",
          "reason"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "reason": {
            "description": "Shown to the requester; not blank.",
            "allOf": [
              {
                "$ref": "#/components/schemas/Text"
              },
              {
                "maxLength": 2000,
                "pattern": "\\S"
              }
            ]
          }
        }
      },
      "ConfirmQueueDeletionRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "generation"
        ],
        "properties": {
          "generation": {
            "$ref": "#/components/schemas/Generation"
          }
        }
      },
      "CreateCredentialRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "expiresAt": {
            "description": "When the credential stops working; in the future. Null or absent for never.",
            "$ref": "#/components/schemas/NullableTimestamp"
          }
        }
      },
      "RotateCredentialRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "overlapSeconds": {
            "description": "How long the credentials live before the rotation keep working.",
            "type": "integer",
            "minimum": 0,
            "maximum": 2592000,
            "default": 3600
          },
          "expiresAt": {
            "description": "When the new credential stops working; in the future. Null or absent for never.",
            "$ref": "#/components/schemas/NullableTimestamp"
          }
        }
      },
      "ApplicationSettings": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "messageTtlMs",
          "maxLength"
        ],
        "properties": {
          "messageTtlMs": {
            "description": "Messages older than this are dead-lettered.",
            "type": [
              "integer",
              "null"
            ]
          },
          "maxLength": {
            "description": "Longest queue before the oldest messages are dead-lettered.",
            "type": [
              "integer",
              "null"
            ]
          }
        }
      },
      "Application": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "name",
          "title",
          "description",
          "owner",
          "entityRef",
          "settings",
          "externalProducer",
          "generation",
          "createdAt",
          "updatedAt",
          "deletedAt",
          "queueDeletionConfirmedAt"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "name": {
            "$ref": "#/components/schemas/Name"
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "owner": {
            "$ref": "#/components/schemas/GroupRef"
          },
          "entityRef": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/ComponentRef"
              },
              {
                "type": "null"
              }
            ]
          },
          "settings": {
            "$ref": "#/components/schemas/ApplicationSettings"
          },
          "externalProducer": {
            "description": "The upstream a shovel brings this application's messages from; never the password.",
            "oneOf": [
              {
                "$ref": "#/components/schemas/ExternalProducer"
              },
              {
                "type": "null"
              }
            ]
          },
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "createdAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "updatedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "deletedAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "queueDeletionConfirmedAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          }
        }
      },
      "ExternalProducer": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "upstreamUri",
          "upstreamExchange",
          "upstreamRoutingKey",
          "upstreamQueue",
          "username"
        ],
        "properties": {
          "upstreamUri": {
            "type": "string"
          },
          "upstreamExchange": {
            "type": [
              "string",
              "null"
            ]
          },
          "upstreamRoutingKey": {
            "type": [
              "string",
              "null"
            ]
          },
          "upstreamQueue": {
            "type": [
              "string",
              "null"
            ]
          },
          "username": {
            "type": "string"
          }
        }
      },
      "NotificationType": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "application",
          "name",
          "routingKeyPattern",
          "description",
          "payloadSchema",
          "visibility",
          "requiresApproval",
          "deprecation",
          "generation",
          "createdAt",
          "updatedAt",
          "deletedAt"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "application": {
            "description": "Name of the producing application.",
            "$ref": "#/components/schemas/Name"
          },
          "name": {
            "$ref": "#/components/schemas/Name"
          },
          "routingKeyPattern": {
            "$ref": "#/components/schemas/RoutingKeyPattern"
          },
          "description": {
            "type": "string"
          },
          "payloadSchema": {
            "$ref": "#/components/schemas/PayloadSchema"
          },
          "visibility": {
            "type": "string",
            "enum": [
              "public",
              "private"
            ]
          },
          "requiresApproval": {
            "type": "boolean"
          },
          "deprecation": {
            "$ref": "#/components/schemas/NotificationTypeDeprecation"
          },
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "createdAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "updatedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "deletedAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "producerOwner": {
            "description": "The producer's owner (group entity ref); given in lists.",
            "type": "string"
          }
        }
      },
      "Subscription": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "consumer",
          "producer",
          "notificationType",
          "routingKeyPattern",
          "state",
          "justification",
          "requestedBy",
          "requestedAt",
          "decidedBy",
          "decidedAt",
          "reason",
          "notificationTypeDeprecation",
          "generation",
          "updatedAt"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "consumer": {
            "$ref": "#/components/schemas/Name"
          },
          "producer": {
            "$ref": "#/components/schemas/Name"
          },
          "notificationType": {
            "$ref": "#/components/schemas/Name"
          },
          "routingKeyPattern": {
            "$ref": "#/components/schemas/RoutingKeyPattern"
          },
          "state": {
            "$ref": "#/components/schemas/SubscriptionState"
          },
          "justification": {
            "type": "string"
          },
          "requestedBy": {
            "description": "User entity ref.",
            "type": "string"
          },
          "requestedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "decidedBy": {
            "type": [
              "string",
              "null"
            ]
          },
          "decidedAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "reason": {
            "description": "The reason given with a rejection or revocation; the requester sees it.",
            "type": [
              "string",
              "null"
            ]
          },
          "notificationTypeDeprecation": {
            "description": "The type's deprecation, so that the consumer sees its sunset and successor.",
            "$ref": "#/components/schemas/NotificationTypeDeprecation"
          },
          "generation": {
            "$ref": "#/components/schemas/Generation"
          },
          "updatedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "blocked": {
            "description": "Only in the answer to an approval (or to a request approved at once), and only when something keeps the broker from binding the consumer's queue to the producer's exchange right now.\n",
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/BindingBlock"
            }
          },
          "consumerOwner": {
            "description": "The consumer's owner (group entity ref); given in lists.",
            "type": "string"
          },
          "producerOwner": {
            "description": "The producer's owner (group entity ref), the team that decides; given in lists.",
            "type": "string"
          }
        }
      },
      "BindingBlock": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "key",
          "reason",
          "message"
        ],
        "properties": {
          "key": {
            "description": "The object in the way, e.g. `queue:brom.billing`.",
            "type": "string"
          },
          "reason": {
            "description": "Conflict, InequivalentArguments or Unmanaged.",
            "type": "string"
          },
          "message": {
            "type": "string"
          }
        }
      },
      "Credential": {
        "description": "Credential metadata; the secret is returned once at creation and never stored.",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "application",
          "username",
          "createdAt",
          "createdBy",
          "expiresAt",
          "revokedAt",
          "revokedBy"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "application": {
            "$ref": "#/components/schemas/Name"
          },
          "username": {
            "description": "The broker username of this credential, `<application>.<suffix>`.",
            "type": "string",
            "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*\\.[a-z0-9]+$"
          },
          "createdAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "createdBy": {
            "type": "string"
          },
          "expiresAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "revokedAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "revokedBy": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "IssuedCredential": {
        "description": "The one response that carries a secret.",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "credential",
          "secret"
        ],
        "properties": {
          "credential": {
            "$ref": "#/components/schemas/Credential"
          },
          "secret": {
            "description": "256 random bits, base64url; shown once.",
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{43}$"
          }
        }
      },
      "CredentialList": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Credential"
            }
          }
        }
      },
      "AuditEvent": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "at",
          "actor",
          "action",
          "targetKind",
          "targetId",
          "application",
          "applicationId",
          "before",
          "after"
        ],
        "properties": {
          "id": {
            "type": "integer"
          },
          "at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "actor": {
            "description": "User entity ref of who did it.",
            "type": "string"
          },
          "action": {
            "description": "e.g. `application.created`, `subscription.rejected`, `credential.rotated`.",
            "type": "string"
          },
          "targetKind": {
            "type": "string",
            "enum": [
              "application",
              "notificationType",
              "subscription",
              "credential"
            ]
          },
          "targetId": {
            "type": "string"
          },
          "application": {
            "description": "The name of the application whose history the event belongs to.",
            "type": "string"
          },
          "applicationId": {
            "description": "The id of that application; a name registered again starts a new history. Null\nfor events from before ids were recorded whose application could not be established.\n",
            "type": [
              "string",
              "null"
            ]
          },
          "before": {
            "type": [
              "object",
              "null"
            ]
          },
          "after": {
            "type": [
              "object",
              "null"
            ]
          }
        }
      },
      "ApplicationPage": {
        "description": "Page<Application>",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items",
          "totalCount",
          "offset",
          "limit"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Application"
            }
          },
          "totalCount": {
            "description": "How many match, over all pages.",
            "type": "integer",
            "minimum": 0
          },
          "offset": {
            "description": "The offset asked for; 0 when the page was asked for by cursor.",
            "type": "integer",
            "minimum": 0
          },
          "limit": {
            "type": "integer",
            "minimum": 1
          },
          "totalCountBounded": {
            "description": "Set when more match than `totalCount`: lists count at most 10,000.",
            "type": "boolean"
          },
          "nextCursor": {
            "description": "Ask for the next page with this as `cursor`; absent on the last page.",
            "type": "string"
          }
        }
      },
      "NotificationTypePage": {
        "description": "Page<NotificationType>",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items",
          "totalCount",
          "offset",
          "limit"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/NotificationType"
            }
          },
          "totalCount": {
            "description": "How many match, over all pages.",
            "type": "integer",
            "minimum": 0
          },
          "offset": {
            "description": "The offset asked for; 0 when the page was asked for by cursor.",
            "type": "integer",
            "minimum": 0
          },
          "limit": {
            "type": "integer",
            "minimum": 1
          },
          "totalCountBounded": {
            "description": "Set when more match than `totalCount`: lists count at most 10,000.",
            "type": "boolean"
          },
          "nextCursor": {
            "description": "Ask for the next page with this as `cursor`; absent on the last page.",
            "type": "string"
          }
        }
      },
      "SubscriptionPage": {
        "description": "Page<Subscription>",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items",
          "totalCount",
          "offset",
          "limit"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Subscription"
            }
          },
          "totalCount": {
            "description": "How many match, over all pages.",
            "type": "integer",
            "minimum": 0
          },
          "offset": {
            "description": "The offset asked for; 0 when the page was asked for by cursor.",
            "type": "integer",
            "minimum": 0
          },
          "limit": {
            "type": "integer",
            "minimum": 1
          },
          "totalCountBounded": {
            "description": "Set when more match than `totalCount`: lists count at most 10,000.",
            "type": "boolean"
          },
          "nextCursor": {
            "description": "Ask for the next page with this as `cursor`; absent on the last page.",
            "type": "string"
          }
        }
      },
      "AuditEventPage": {
        "description": "Page<AuditEvent>",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items",
          "totalCount",
          "offset",
          "limit"
        ],
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AuditEvent"
            }
          },
          "totalCount": {
            "description": "How many match, over all pages.",
            "type": "integer",
            "minimum": 0
          },
          "offset": {
            "description": "The offset asked for; 0 when the page was asked for by cursor.",
            "type": "integer",
            "minimum": 0
          },
          "limit": {
            "type": "integer",
            "minimum": 1
          },
          "totalCountBounded": {
            "description": "Set when more match than `totalCount`: lists count at most 10,000.",
            "type": "boolean"
          },
          "nextCursor": {
            "description": "Ask for the next page with this as `cursor`; absent on the last page.",
            "type": "string"
          }
        }
      },
      "Condition": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "type",
          "status",
          "reason",
          "message",
          "observedGeneration",
          "lastTransitionTime"
        ],
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "Ready"
            ]
          },
          "status": {
            "type": "string",
            "enum": [
              "True",
              "False",
              "Unknown"
            ]
          },
          "reason": {
            "description": "CamelCase machine-readable reason, e.g. `BrokerUnavailable`.",
            "type": "string"
          },
          "message": {
            "type": "string"
          },
          "observedGeneration": {
            "type": "integer"
          },
          "lastTransitionTime": {
            "$ref": "#/components/schemas/Timestamp"
          }
        }
      },
      "ObjectStatus": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "key",
          "kind",
          "name",
          "application",
          "subscriptionId",
          "desiredGeneration",
          "condition",
          "attempts",
          "lastAttemptAt",
          "nextAttemptAt"
        ],
        "properties": {
          "key": {
            "type": "string"
          },
          "kind": {
            "type": "string",
            "enum": [
              "vhost",
              "exchange",
              "queue",
              "binding",
              "policy",
              "user",
              "permissions",
              "shovel"
            ]
          },
          "name": {
            "type": "string"
          },
          "application": {
            "type": [
              "string",
              "null"
            ]
          },
          "subscriptionId": {
            "type": [
              "string",
              "null"
            ]
          },
          "desiredGeneration": {
            "type": "integer"
          },
          "condition": {
            "$ref": "#/components/schemas/Condition"
          },
          "attempts": {
            "type": "integer",
            "minimum": 0
          },
          "lastAttemptAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "nextAttemptAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          }
        }
      },
      "ApplicationStatus": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "application",
          "summary",
          "ready",
          "objects",
          "observedAt",
          "unmanaged"
        ],
        "properties": {
          "application": {
            "$ref": "#/components/schemas/Name"
          },
          "summary": {
            "description": "Plain-words summary, e.g. \"3 of 4 objects ready; binding X failing …\".",
            "type": "string"
          },
          "ready": {
            "type": "boolean"
          },
          "objects": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ObjectStatus"
            }
          },
          "observedAt": {
            "description": "When the broker was last seen for this status (a full pass, or the status's own check).",
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "unmanaged": {
            "description": "Unmanaged objects touching the application's exchange or queue (owners and administrators only).",
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/UnmanagedObject"
            }
          }
        }
      },
      "UnmanagedObject": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "key",
          "kind",
          "name",
          "sourceApplication",
          "destinationApplication",
          "firstSeenAt"
        ],
        "properties": {
          "key": {
            "type": "string"
          },
          "kind": {
            "description": "exchange, queue, policy, binding or binding-with-arguments.",
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "sourceApplication": {
            "description": "The application whose exchange it reads from (a binding's source).",
            "type": [
              "string",
              "null"
            ]
          },
          "destinationApplication": {
            "description": "The application whose queue or exchange it ends in, or whose name it carries.",
            "type": [
              "string",
              "null"
            ]
          },
          "firstSeenAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "UnmanagedObjectList": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "observedAt",
          "items"
        ],
        "properties": {
          "observedAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          },
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/UnmanagedObject"
            }
          }
        }
      },
      "CatalogChanges": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "sequence",
          "version",
          "full"
        ],
        "properties": {
          "sequence": {
            "description": "The change-log position this answer reaches; the next call's `after`.",
            "type": "integer",
            "minimum": 0
          },
          "version": {
            "description": "The state version the answer was read at.",
            "type": "integer",
            "minimum": 0
          },
          "full": {
            "description": "Too many changes, or an unknown `after`; `applications` and `export` are absent.",
            "type": "boolean"
          },
          "applications": {
            "description": "Names of the applications whose entities may have changed (deleted ones too).",
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Name"
            }
          },
          "export": {
            "description": "The live rows of those applications only.",
            "$ref": "#/components/schemas/CatalogExport"
          }
        }
      },
      "QueueHealth": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "exists",
          "messagesReady",
          "messagesUnacknowledged",
          "consumers",
          "publishRate",
          "deliverRate",
          "ackRate",
          "lastDeliveryAt"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "exists": {
            "type": "boolean"
          },
          "messagesReady": {
            "type": "integer",
            "minimum": 0
          },
          "messagesUnacknowledged": {
            "type": "integer",
            "minimum": 0
          },
          "consumers": {
            "type": "integer",
            "minimum": 0
          },
          "publishRate": {
            "type": "number",
            "description": "Messages per second into the queue."
          },
          "deliverRate": {
            "type": "number",
            "description": "Messages per second delivered (consume and get)."
          },
          "ackRate": {
            "type": "number",
            "description": "Acknowledgements per second."
          },
          "lastDeliveryAt": {
            "description": "When the portal last saw the delivered count grow (to the refresh interval); null if not since it started watching.",
            "$ref": "#/components/schemas/NullableTimestamp"
          }
        }
      },
      "ExchangeHealth": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "exists",
          "publishRate",
          "unroutableRate"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "exists": {
            "type": "boolean"
          },
          "publishRate": {
            "type": "number"
          },
          "unroutableRate": {
            "type": "number",
            "description": "Publish-in minus publish-out rate, at least 0 (exact while each message reaches at most one queue)."
          }
        }
      },
      "DeadLetterDeath": {
        "description": "One entry of the message's `x-death` header.",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "reason",
          "queue",
          "time",
          "count",
          "exchange",
          "routingKeys"
        ],
        "properties": {
          "reason": {
            "description": "`rejected`, `expired`, `maxlen` or `delivery_limit`.",
            "type": "string"
          },
          "queue": {
            "type": "string"
          },
          "time": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "count": {
            "type": "integer"
          },
          "exchange": {
            "type": "string"
          },
          "routingKeys": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "DeadLetterMessage": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "routingKey",
          "redelivered",
          "deaths",
          "properties",
          "headers",
          "payloadBytes",
          "payload",
          "payloadEncoding",
          "payloadTruncated"
        ],
        "properties": {
          "routingKey": {
            "type": "string"
          },
          "redelivered": {
            "description": "Delivered from the dead-letter queue before (a peek marks what it shows).",
            "type": "boolean"
          },
          "deaths": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/DeadLetterDeath"
            }
          },
          "properties": {
            "description": "AMQP properties other than the headers.",
            "type": "object"
          },
          "headers": {
            "description": "Headers other than `x-death`.",
            "type": "object"
          },
          "payloadBytes": {
            "type": "integer",
            "minimum": 0
          },
          "payload": {
            "description": "The first 2048 bytes, as text when they are UTF-8, else base64.",
            "type": "string"
          },
          "payloadEncoding": {
            "type": "string",
            "enum": [
              "string",
              "base64"
            ]
          },
          "payloadTruncated": {
            "type": "boolean"
          }
        }
      },
      "DeadLetterPeek": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "application",
          "queue",
          "messageCount",
          "messages",
          "replayRunning"
        ],
        "properties": {
          "application": {
            "$ref": "#/components/schemas/Name"
          },
          "queue": {
            "type": "string"
          },
          "messageCount": {
            "description": "Ready messages in the dead-letter queue.",
            "type": "integer",
            "minimum": 0
          },
          "messages": {
            "type": "array",
            "maxItems": 50,
            "items": {
              "$ref": "#/components/schemas/DeadLetterMessage"
            }
          },
          "replayRunning": {
            "type": "boolean"
          }
        }
      },
      "DeadLetterReplay": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "application",
          "from",
          "to",
          "moving"
        ],
        "properties": {
          "application": {
            "$ref": "#/components/schemas/Name"
          },
          "from": {
            "type": "string"
          },
          "to": {
            "type": "string"
          },
          "moving": {
            "description": "Messages the shovel moves; 0 starts none.",
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "DeadLetterPurge": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "application",
          "queue",
          "purged"
        ],
        "properties": {
          "application": {
            "$ref": "#/components/schemas/Name"
          },
          "queue": {
            "type": "string"
          },
          "purged": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "ApplicationHealth": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "application",
          "observedAt",
          "queue",
          "deadLetterQueue",
          "exchange",
          "warnings"
        ],
        "properties": {
          "application": {
            "$ref": "#/components/schemas/Name"
          },
          "observedAt": {
            "type": "string",
            "format": "date-time"
          },
          "queue": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/QueueHealth"
              },
              {
                "type": "null"
              }
            ]
          },
          "deadLetterQueue": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/QueueHealth"
              },
              {
                "type": "null"
              }
            ]
          },
          "exchange": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/ExchangeHealth"
              },
              {
                "type": "null"
              }
            ]
          },
          "warnings": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "code",
                "message"
              ],
              "properties": {
                "code": {
                  "type": "string",
                  "enum": [
                    "backlog-without-consumer",
                    "dead-letters"
                  ]
                },
                "message": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "CatalogExport": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "version",
          "broker",
          "applications",
          "notificationTypes",
          "subscriptions"
        ],
        "properties": {
          "version": {
            "description": "The state version the export was read at.",
            "type": "integer",
            "minimum": 0
          },
          "sequence": {
            "description": "The change-log position the export was read at (see /service/catalog-changes).",
            "type": "integer",
            "minimum": 0
          },
          "broker": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "vhost",
              "prefix",
              "amqpUrls"
            ],
            "properties": {
              "vhost": {
                "type": "string"
              },
              "prefix": {
                "description": "A producer `p` publishes to exchange `${prefix}p`.",
                "type": "string"
              },
              "amqpUrls": {
                "description": "Each node of the cluster, or one load balancer; empty when not configured.",
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            }
          },
          "applications": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "name",
                "title",
                "description",
                "owner",
                "entityRef"
              ],
              "properties": {
                "name": {
                  "$ref": "#/components/schemas/Name"
                },
                "title": {
                  "type": "string"
                },
                "description": {
                  "type": "string"
                },
                "owner": {
                  "$ref": "#/components/schemas/GroupRef"
                },
                "entityRef": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/ComponentRef"
                    },
                    {
                      "type": "null"
                    }
                  ]
                }
              }
            }
          },
          "notificationTypes": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "application",
                "name",
                "routingKeyPattern",
                "description",
                "payloadSchema",
                "deprecation"
              ],
              "properties": {
                "application": {
                  "$ref": "#/components/schemas/Name"
                },
                "name": {
                  "$ref": "#/components/schemas/Name"
                },
                "routingKeyPattern": {
                  "$ref": "#/components/schemas/RoutingKeyPattern"
                },
                "description": {
                  "type": "string"
                },
                "payloadSchema": {
                  "$ref": "#/components/schemas/PayloadSchema"
                },
                "deprecation": {
                  "$ref": "#/components/schemas/NotificationTypeDeprecation"
                }
              }
            }
          },
          "subscriptions": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "consumer",
                "producer",
                "notificationType"
              ],
              "properties": {
                "consumer": {
                  "$ref": "#/components/schemas/Name"
                },
                "producer": {
                  "$ref": "#/components/schemas/Name"
                },
                "notificationType": {
                  "$ref": "#/components/schemas/Name"
                }
              }
            }
          }
        }
      },
      "AuthzSnapshotDelta": {
        "description": "What changed between the version a sidecar holds (`from`) and `version`: whole entries\nto put (replacing those of the same name or username) and names to remove\n(packages/authz-snapshot, `applyAuthzSnapshotDelta`).\n",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "format",
          "from",
          "version",
          "generatedAt",
          "vhost",
          "credentials",
          "applications"
        ],
        "properties": {
          "format": {
            "type": "integer",
            "enum": [
              1
            ]
          },
          "from": {
            "type": "integer",
            "minimum": 0
          },
          "version": {
            "type": "integer",
            "minimum": 0
          },
          "epoch": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          },
          "generatedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "vhost": {
            "type": "string",
            "minLength": 1
          },
          "credentials": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "put",
              "remove"
            ],
            "properties": {
              "put": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/AuthzCredential"
                }
              },
              "remove": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            }
          },
          "applications": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "put",
              "remove"
            ],
            "properties": {
              "put": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/AuthzApplication"
                }
              },
              "remove": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "AuthzSnapshot": {
        "description": "The authorisation policy every sidecar enforces (packages/authz-snapshot). Carries\ncredential hashes, never secrets. Unknown properties are refused by the sidecars.\n",
        "type": "object",
        "additionalProperties": false,
        "required": [
          "format",
          "version",
          "generatedAt",
          "vhost",
          "credentials",
          "applications"
        ],
        "properties": {
          "format": {
            "type": "integer",
            "enum": [
              1
            ]
          },
          "version": {
            "description": "The portal's state version; sidecars refuse a lower one.",
            "type": "integer",
            "minimum": 0
          },
          "epoch": {
            "description": "Identifies the portal database the versions count in; sidecars take a snapshot of\nanother epoch whatever its version.\n",
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          },
          "generatedAt": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "vhost": {
            "type": "string",
            "minLength": 1
          },
          "credentials": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AuthzCredential"
            }
          },
          "applications": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AuthzApplication"
            }
          }
        }
      },
      "AuthzCredential": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "username",
          "application",
          "salt",
          "hash",
          "expiresAt"
        ],
        "properties": {
          "username": {
            "type": "string",
            "minLength": 1
          },
          "application": {
            "description": "Name of an application of the snapshot.",
            "type": "string",
            "minLength": 1
          },
          "salt": {
            "description": "16 random bytes as 32 lowercase hex characters.",
            "type": "string",
            "pattern": "^[0-9a-f]{32}$"
          },
          "hash": {
            "description": "lowercase hex(SHA-256(salt bytes || UTF-8 bytes of the secret)).",
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
          },
          "expiresAt": {
            "$ref": "#/components/schemas/NullableTimestamp"
          }
        }
      },
      "AuthzTopicWrite": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "exchange",
          "routingKeyPatterns"
        ],
        "properties": {
          "exchange": {
            "type": "string",
            "minLength": 1
          },
          "routingKeyPatterns": {
            "type": "array",
            "uniqueItems": true,
            "items": {
              "$ref": "#/components/schemas/RoutingKeyPattern"
            }
          }
        }
      },
      "AuthzApplication": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "write",
          "read",
          "topicWrite"
        ],
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1
          },
          "write": {
            "description": "Exchanges the application may publish to.",
            "type": "array",
            "uniqueItems": true,
            "items": {
              "type": "string",
              "minLength": 1
            }
          },
          "read": {
            "description": "Queues the application may consume from.",
            "type": "array",
            "uniqueItems": true,
            "items": {
              "type": "string",
              "minLength": 1
            }
          },
          "topicWrite": {
            "description": "Routing keys the application may publish, per exchange.",
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AuthzTopicWrite"
            }
          }
        }
      },
      "ErrorResponse": {
        "description": "Backstage's error body.",
        "type": "object",
        "required": [
          "error",
          "request",
          "response"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "name",
              "message"
            ],
            "properties": {
              "name": {
                "description": "e.g. InputError, AuthenticationError, NotAllowedError, NotFoundError, ConflictError.",
                "type": "string"
              },
              "message": {
                "type": "string"
              },
              "current": {
                "description": "With a stale-generation 409, the object as it is now.",
                "type": "object"
              }
            }
          },
          "request": {
            "type": "object",
            "properties": {
              "method": {
                "type": "string"
              },
              "url": {
                "type": "string"
              }
            }
          },
          "response": {
            "type": "object",
            "required": [
              "statusCode"
            ],
            "properties": {
              "statusCode": {
                "type": "integer"
              }
            }
          }
        }
      }
    }
  }
} as const;

export const createOpenApiRouter = async (
  options?: Parameters<typeof createValidatedOpenApiRouter>['1'],
) => createValidatedOpenApiRouter<typeof spec>(spec, options);
