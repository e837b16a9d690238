import CharLSTM

/// The server's OpenAPI 3.0 description, served at `/openapi.json`: what schemathesis and
/// client generators read. It states the limits the server was started with.
enum OpenAPIDocument {
    static func json(settings: ServerSettings, modelName: String) -> String {
        let security = settings.apiKey == nil ? "" : #", "security": [{"bearer": []}]"#
        return """
        {
          "openapi": "3.0.3",
          "info": {"title": "charlstm serve", "version": "\(CharLSTM.version)",
                   "description": "OpenAI's completions API over a character-level model (\(modelName)). Errors are OpenAI error objects."},
          "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
              "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                "required": ["message", "type"], "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                "param": {"type": "string", "nullable": true}, "code": {"type": "string", "nullable": true}}}}},
              "CompletionRequest": {"type": "object", "properties": {
                "model": {"type": "string"},
                "prompt": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]},
                "max_tokens": {"type": "integer", "minimum": 0, "maximum": \(settings.maxTokens), "default": \(CompletionRequest.defaultMaxTokens)},
                "temperature": {"type": "number", "minimum": 0, "default": \(CompletionRequest.defaultTemperature)},
                "top_p": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 1, "default": 1},
                "top_k": {"type": "integer", "minimum": 0, "description": "0: no limit (llama-server's extension)"},
                "n": {"type": "integer", "minimum": 1, "maximum": \(CompletionRequest.maximumChoices), "default": 1},
                "stop": {"oneOf": [{"type": "string", "minLength": 1},
                                   {"type": "array", "maxItems": \(CompletionRequest.maximumStops), "items": {"type": "string", "minLength": 1}}]},
                "seed": {"type": "integer", "minimum": 0},
                "stream": {"type": "boolean", "default": false}}},
              "Choice": {"type": "object", "required": ["text", "index", "finish_reason"], "properties": {
                "text": {"type": "string"}, "index": {"type": "integer"}, "logprobs": {"nullable": true},
                "finish_reason": {"type": "string", "nullable": true, "enum": ["stop", "length", null]}}},
              "Completion": {"type": "object", "required": ["id", "object", "created", "model", "choices"], "properties": {
                "id": {"type": "string"}, "object": {"type": "string", "enum": ["text_completion"]},
                "created": {"type": "integer"}, "model": {"type": "string"},
                "choices": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
                "usage": {"type": "object", "properties": {"prompt_tokens": {"type": "integer"},
                  "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}}}}
            },
            "responses": {
              "Error": {"description": "An OpenAI error object naming the problem",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          },
          "paths": {
            "/health": {"get": {"summary": "Whether the server is up, and the texts it is writing",
              "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"type": "object",
                "properties": {"status": {"type": "string"}, "streams": {"type": "integer"}, "max_streams": {"type": "integer"}}}}}}}}},
            "/v1/models": {"get": {"summary": "The model served"\(security),
              "responses": {"200": {"description": "A list of one model", "content": {"application/json": {"schema": {"type": "object",
                "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": {"type": "object",
                  "properties": {"id": {"type": "string"}, "object": {"type": "string"}}}}}}}}},
                "401": {"$ref": "#/components/responses/Error"}}}},
            "/v1/completions": {"post": {"summary": "Write text after a prompt; stream: true answers with server-sent events ending in data: [DONE]"\(security),
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CompletionRequest"}}}},
              "responses": {
                "200": {"description": "The completion, or its chunks as text/event-stream", "content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/Completion"}},
                  "text/event-stream": {"schema": {"type": "string"}}}},
                "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                "413": {"$ref": "#/components/responses/Error"},
                "429": {"description": "As many texts as the server writes at once; retry after Retry-After seconds",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}
          }
        }

        """
    }
}
