/**
 * The PATCH verb as kube-apiserver does it, as pure functions over Jackson JSON trees, and the managedFields
 * bookkeeping that goes with it.
 *
 * <h2>API</h2>
 * <pre>{@code
 * Patcher.PatchType type = Patcher.PatchType.fromContentType(request.contentType()); // null -> 415
 * ObjectNode patched = Patcher.apply(type, live, body, Deployment.class,
 *         new ApplyOptions(fieldManager, force, subresource, now));
 * if (type != Patcher.PatchType.APPLY)   // apply keeps managedFields itself
 *     patched = ManagedFields.recordUpdate(Deployment.class, live, patched, fieldManager, subresource, now);
 * // creates and updates (PUT) record their manager the same way:
 * stored = ManagedFields.recordUpdate(Deployment.class, null, created, "kubectl-create", now);
 * }</pre>
 * (Without a {@code fieldManager} parameter, kube-apiserver names the manager of a non-apply write after the
 * client's user agent, e.g. {@code kubectl-edit}; that is the API server's choice.) Nothing here modifies its
 * arguments; every result is a new tree. Errors are {@link
 * io.kubeha.apiserver.api.ApiException}s with kube-apiserver's code and message; the API server validates,
 * defaults and stores the result as for an update (name and resourceVersion checks included).
 *
 * <h2>What each patch type does</h2>
 * <ul>
 *   <li><b>JSON patch</b> (RFC 6902, zjsonpatch): a failed {@code test}, a missing path or a bad operation is
 *       422 Invalid "the server rejected our request due to an error in our request" (kube-apiserver drops the
 *       detail too; it is the exception's cause here); a body that is not a list is 400; more than 10000
 *       operations is 413.</li>
 *   <li><b>JSON merge patch</b> (RFC 7386): null deletes, objects merge, everything else (lists too) replaces.</li>
 *   <li><b>Strategic merge patch</b>: a merge patch in which lists tagged {@code patchStrategy:"merge"} merge
 *       (objects by their merge key, scalars as a set), with the directives kubectl sends: {@code $patch}
 *       (replace, delete; in maps and list items), {@code $retainKeys}, {@code $setElementOrder/<field>},
 *       {@code $deleteFromPrimitiveList/<field>}. New list items go first unless an order is given, as in
 *       Kubernetes. The tags come from a table of facts ({@code Tags}) keyed by fabric8 class and field, the
 *       field types from the fabric8 model by reflection; fields the model does not know merge like a merge
 *       patch. Behaviour was checked case by case against kubectl 1.32's own strategic merge.</li>
 *   <li><b>Server-side apply</b> (YAML or JSON body): the configuration is merged into the live object (or
 *       creates it), associative lists by their keys and in structured-merge-diff's order (the
 *       configuration's order, live-only items kept in place); managedFields lists, per manager, the fields it owns in
 *       the real fieldsV1 format ({@code {"f:spec":{"f:containers":{"k:{\"name\":\"x\"}":{".":{},"f:image":{}}}}}});
 *       fields the manager applied before and no longer applies are removed unless someone else owns them;
 *       changing another manager's field is a 409 Conflict with kube-apiserver's message
 *       ({@code Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1:
 *       .spec.replicas}) unless forced, which moves ownership. Like Kubernetes: an object without
 *       managedFields is first owned by {@code before-first-apply}; kubectl's manager ({@code kubectl})
 *       upgrading from client-side apply does not conflict on fields whose live value is still the one in
 *       the last-applied annotation, and keeps that annotation in step.</li>
 * </ul>
 *
 * <h2>Deliberate differences and what is not covered</h2>
 * <ul>
 *   <li>Strategic-merge and apply errors that kube-apiserver returns as a reason-less 500 (a list item without
 *       its merge key, an unknown {@code $patch} value, duplicate keys in an applied configuration) are 400
 *       BadRequest here with the same message: they are the client's mistake, and a 500 invites retries.</li>
 *   <li>A value the patch adds is cleaned of directives and nulls (Kubernetes drops them when it decodes the
 *       result into the typed object; fabric8 would keep unknown keys such as {@code $patch}).</li>
 *   <li>Nulls in an applied configuration are ignored (not "owned as null"); unions and their discriminators
 *       are not normalised; unknown fields are not rejected ("field not declared in schema"), they are merged
 *       and owned like any other; status in an apply to the main resource is not dropped here (the API
 *       server's strategy resets it, as Kubernetes' reset fields do); managedFields are not capped at 10
 *       updaters ("ancient-changes"); apply-patch+cbor is not accepted.</li>
 *   <li>An update records "." (ownership of a map itself) for new maps that are not structs, which is what
 *       Kubernetes records for labels, annotations and pointer structs; for new non-pointer structs Kubernetes
 *       records nothing and neither does this, but for new pointer structs (e.g. {@code rollingUpdate}) it
 *       records "." and this does not: fabric8 cannot tell them apart.</li>
 *   <li>Strategic merge for objects without a model (custom resources) degrades to merge-patch semantics with
 *       the directives still obeyed; kube-apiserver refuses strategic merge for custom resources (415), which
 *       is the API server's call to make.</li>
 * </ul>
 */
package io.kubeha.apiserver.patch;
