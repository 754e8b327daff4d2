// The API reference at /docs/: Swagger UI renders this server's own /openapi.json.
// "Try it out" sends requests to the server that served the page (the document's servers name
// the dev server), with the token given under "Authorize"; nothing is asked of any other host
// (no validator badge), which the page's Content-Security-Policy enforces.
"use strict";
fetch("../openapi.json")
  .then((answer) => {
    if (!answer.ok) {
      throw new Error("GET /openapi.json answered " + answer.status);
    }
    return answer.json();
  })
  .then((spec) => {
    spec.servers = [{ url: window.location.origin, description: "this server" }];
    window.ui = SwaggerUIBundle({
      spec: spec,
      dom_id: "#reference",
      deepLinking: true,
      validatorUrl: null,
      tryItOutEnabled: false,
      persistAuthorization: false,
    });
  })
  .catch((error) => {
    const message = document.createElement("p");
    message.textContent = "The API document could not be read: " + error.message;
    document.getElementById("reference").replaceChildren(message);
  });
