output "deploy_role_arn" {
  description = "ARN of the deploy role, for role-to-assume in aws-actions/configure-aws-credentials."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the deploy role trusts (created here, or the one passed in)."
  value       = local.oidc_provider_arn
}

output "allowed_subjects" {
  description = "The token subjects the deploy role accepts, to compare with what a workflow run presents."
  value       = local.role_subjects.deploy
}

output "terraform_role_arn" {
  description = "ARN of the role the deploy workflow applies the stack with (null without terraform_state)."
  value       = one(aws_iam_role.terraform[*].arn)
}

output "plan_role_arn" {
  description = "ARN of the read-only role of the deploy workflow's plan job (null without plan_environment)."
  value       = one(aws_iam_role.plan[*].arn)
}

output "push_role_arn" {
  description = "ARN of the image workflow's push role (null without push_role)."
  value       = one(aws_iam_role.push[*].arn)
}

output "push_subjects" {
  description = "The token subjects the push role accepts: the deploy role's, and the release tags'."
  value       = local.role_subjects.push
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary every role of the stack carries."
  value       = aws_iam_policy.boundary.arn
}
